// The shared store suite on the SQLite store (server/store/sqlite/): every ServerStore method, the same
// assertions postgres.test.ts makes on the PostgreSQL store.
import { attachmentsContract } from './contract-attachments.ts';
import { devicesContract } from './contract-devices.ts';
import { envelopeBatchContract } from './contract-envelope-batch.ts';
import { groupsContract } from './contract-groups.ts';
import { keysContract } from './contract-keys.ts';
import { scimContract } from './contract-scim.ts';
import { usersContract } from './contract-users.ts';
import { workplaceContract } from './contract-workplace.ts';
import { sqliteBackend } from './harness.ts';

const backend = sqliteBackend();
usersContract(backend);
devicesContract(backend);
envelopeBatchContract(backend);
scimContract(backend);
groupsContract(backend);
keysContract(backend);
attachmentsContract(backend);
workplaceContract(backend);
