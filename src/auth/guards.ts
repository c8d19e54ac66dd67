// Who library code and operator CLIs act as. Permissions and their assertions live in policy.ts.
import type { Principal } from './principal.js';

/** The principal library code and operator CLIs act as. */
export const SYSTEM_PRINCIPAL: Principal = {
  userId: 'system',
  roles: ['ADMIN'],
  expiresAt: new Date(8.64e15),
};
