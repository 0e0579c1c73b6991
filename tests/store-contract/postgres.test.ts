// The shared store suite on the PostgreSQL store (server/store/postgres/): every ServerStore method, the same
// assertions sqlite.test.ts makes on the SQLite store. One real PostgreSQL for the file, a fresh database per
// test (harness.ts). Skips with the reason where PostgreSQL is not installed (never under CI).
import { attachmentsContract } from './contract-attachments.ts';
import { devicesContract } from './contract-devices.ts';
import { envelopeBatchContract } from './contract-envelope-batch.ts';
import { groupsContract } from './contract-groups.ts';
import { keysContract } from './contract-keys.ts';
import { scimContract } from './contract-scim.ts';
import { usersContract } from './contract-users.ts';
import { workplaceContract } from './contract-workplace.ts';
import { postgresBackend } from './harness.ts';

const backend = postgresBackend();
usersContract(backend);
devicesContract(backend);
envelopeBatchContract(backend);
scimContract(backend);
groupsContract(backend);
keysContract(backend);
attachmentsContract(backend);
workplaceContract(backend);
