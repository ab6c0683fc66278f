// Every command group of the sandbox, registered with the dispatcher in one place.
import type { CommandSpec } from './types.js';
import { helloCommands } from './hello.js';
import { diagnosticCommands } from './diagnostics.js';
import { crudCommands } from './crud.js';

export const allCommands: CommandSpec[] = [...helloCommands, ...diagnosticCommands, ...crudCommands];
