// Every command group of the sandbox, registered with the dispatcher in one place.
import type { CommandSpec } from './types.js';
import { helloCommands } from './hello.js';
import { diagnosticCommands } from './diagnostics.js';
import { crudCommands } from './crud.js';
import { authCommands } from './auth.js';
import { aggregateCommands } from './aggregate.js';
import { adminCommands } from './admin.js';
import { ddlCommands } from './ddl.js';
import { collModCommands } from './coll-mod.js';
import { indexCommands } from './indexes.js';
import { catalogReadCommands } from './catalog-reads.js';
import { writeCommands } from './writes.js';
import { readCommands } from './reads.js';
import { bulkWriteCommands } from './bulk-write.js';

export const allCommands: CommandSpec[] = [...helloCommands, ...diagnosticCommands, ...crudCommands, ...authCommands, ...aggregateCommands, ...adminCommands, ...ddlCommands, ...collModCommands, ...indexCommands, ...catalogReadCommands, ...writeCommands, ...readCommands, ...bulkWriteCommands];
