// The `ferry` command line. Each command lives in its own file and is only registered here; this file
// owns what all commands share: exit codes and how errors are shown.
import { Command, CommanderError } from 'commander';
import { clientCommands } from './client-commands.js';
import { sandboxCommand } from './sandbox-command.js';
import { serveCommand } from './serve-command.js';
import { USAGE_EXIT_CODE, UsageError } from './usage-error.js';

const program = new Command('ferry')
  .description('Ferry: live MongoDB cluster-to-cluster migration.')
  .addCommand(sandboxCommand())
  .addCommand(serveCommand())
  .exitOverride();
for (const command of clientCommands()) program.addCommand(command);
for (const command of program.commands) command.exitOverride();

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has already printed the message (or the help); only the exit code is ours.
    process.exit(error.exitCode === 0 ? 0 : USAGE_EXIT_CODE);
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error: ${message}\n`);
  process.exit(error instanceof UsageError ? USAGE_EXIT_CODE : 1);
}
