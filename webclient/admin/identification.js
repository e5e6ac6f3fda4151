// A unit's patient identification on the admin page (docs/identity.md,
// "Identification per unit"): the unit's own setting is `optional`, `required`
// or null (follow CHATSERVER_PATIENT_IDENTIFICATION). The page's select uses
// `default` for null. Pure: no DOM, no network.

/** The select's choices, in the order shown. */
export const IDENTIFICATION_CHOICES = ['default', 'optional', 'required'];

/** The text key of each choice (the list shows the same words). */
export const IDENTIFICATION_KEYS = {
  default: 'admin.identification_default',
  optional: 'admin.identification_optional',
  required: 'admin.identification_required',
};

/** The unit's `identification` from the API → the select's value. */
export function identificationChoice(value) {
  return value === 'optional' || value === 'required' ? value : 'default';
}

/** The unit's `identification` from the API → the key of its words. */
export function identificationKey(value) {
  return IDENTIFICATION_KEYS[identificationChoice(value)];
}

/** The select's value → what POST/PATCH /api/admin/units takes (null = the global setting). */
export function identificationBody(choice) {
  return choice === 'optional' || choice === 'required' ? choice : null;
}

/** Whether a response is the server refusing the identification (422
 * invalid_field naming `identification`: `required` without patient sign-in). */
export function identificationRefused(r) {
  const error = r?.data?.error;
  return r?.status === 422 && error?.code === 'invalid_field' && Boolean(error.fields?.identification);
}
