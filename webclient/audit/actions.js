// The audit actions the log review can filter on, grouped as an admin thinks
// of them, each with its words in both languages (audit.action_<name>,
// audit.group_<group> in /static/i18n). tests/webclient/test_audit_actions.py
// fails when the service records an action that is not listed here.

export const ACTION_GROUPS = [
  ['signin', ['login', 'oidc_sign_in', 'login_locked', 'lockout', 'logout', 'password_change', 'totp_enrol', 'session_revoke']],
  [
    'contacts',
    [
      'pick',
      'sync',
      'welcome',
      'close',
      'transfer',
      'triage_override',
      'note',
      'message',
      'typing',
      'personnummer_read',
      'queue_preview_read',
      'attachment_view',
      'fhir_export',
      'patient_contacts_listed',
    ],
  ],
  [
    'stats',
    ['stats_read', 'stats_tables', 'stats_operations', 'stats_export_table', 'stats_export_contacts', 'stats_visits_import'],
  ],
  [
    'admin',
    [
      'admin_access',
      'admin_unit_create',
      'admin_unit_update',
      'admin_queue_create',
      'admin_queue_update',
      'admin_user_create',
      'admin_user_update',
      'admin_user_set_hsa_id',
      'admin_user_reset_password',
      'admin_user_reset_otp',
      'admin_hours_set',
      'admin_hours_default',
      'admin_closing_text_set',
      'admin_closing_text_default',
      'admin_canned_create',
      'admin_canned_delete',
      'banner_publish',
      'banner_end',
      'legal_hold_set',
      'legal_hold_lift',
      'retention_run',
      'retention_purge',
      'totp_key_rotate',
    ],
  ],
  ['audit', ['audit_query', 'audit_export', 'audit_sample', 'audit_extract', 'audit_verify']],
];

export const ACTIONS = ACTION_GROUPS.flatMap(([, actions]) => actions);

/** The i18n key of an action's words. */
export const actionKey = (action) => `audit.action_${action}`;

/** The i18n key of a group's heading. */
export const groupKey = (group) => `audit.group_${group}`;

