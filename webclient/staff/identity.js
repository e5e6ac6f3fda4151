// Who an identified patient is, as staff see it: the contact's `identified`,
// `identity_method` (bankid | freja | eid), `personnummer` (12 digits) and
// `age` (from the personnummer) fields (docs/identity.md, "What staff see").

// The method's name in Swedish (the journal note is always Swedish).
export const METHOD_SV = { bankid: 'BankID', freja: 'Freja eID+', eid: 'e-legitimation' };

/** The method as one of the known three (anything else is "e-legitimation"). */
export function identityMethod(method) {
  return Object.hasOwn(METHOD_SV, method) ? method : 'eid';
}

/** `YYYYMMDDNNNN` → `YYYYMMDD-NNNN`; anything else as it is. */
export function formatPersonnummer(digits) {
  const s = String(digits ?? '');
  return /^\d{12}$/.test(s) ? `${s.slice(0, 8)}-${s.slice(8)}` : s;
}
