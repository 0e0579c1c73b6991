// SQL conditions shared by several areas: what "active device" and "deactivated user" mean in queries.

/** Listed in the directory and expected in sends: keys published and not wiped or revoked (columns of `devices`). */
export const ACTIVE = "identity_key IS NOT NULL AND spk_public IS NOT NULL AND state = 'active'";

/** SQL boolean: SCIM deactivated the user `col` (it has SCIM rows, none of them live and active). */
export const DEACTIVATED = (col: string) => `(EXISTS (SELECT 1 FROM scim_users s WHERE s.user_id = ${col})
  AND NOT EXISTS (SELECT 1 FROM scim_users s WHERE s.user_id = ${col} AND s.deleted_at IS NULL AND s.active))`;
