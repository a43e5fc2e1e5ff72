// The command line's entry logic: parse argv (args.ts), run the command it names (compare.ts,
// measure.ts, or help and version here) and turn every failure into a message on stderr and an exit
// code. stdout carries only the result (table or JSON); progress and warnings go to stderr.
import { TOOL } from '../tool.js';
import { colourWanted, painter } from '../report/terminal-text.js';
import { EXIT, UsageError, helpText, parseArgs } from './args.js';
import { compareCommand } from './compare.js';
import { cliMessage, commandSafe, escapeLines, type CliIO } from './io.js';
import { measureCommand } from './measure.js';

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: readonly string[], given: CliIO): Promise<number> {
  const io = commandSafe(given);
  const paint = painter(colourWanted(io.env, io.stderr.isTTY === true));
  let command;
  try {
    command = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    const help = e.command ? `image-budget ${e.command} --help` : 'image-budget --help';
    io.stderr.write(`${paint('red', 'image-budget: error:')} ${e.message}\nRun "${help}" for the accepted forms.\n`);
    return EXIT.error;
  }
  try {
    switch (command.command) {
      case 'help':
        io.stdout.write(helpText(command.topic, TOOL.version));
        return EXIT.ok;
      case 'version':
        io.stdout.write(`${TOOL.name} ${TOOL.version}\n`);
        return EXIT.ok;
      case 'compare':
        return await compareCommand(command, io);
      case 'measure':
        return await measureCommand(command, io);
    }
  } catch (e) {
    io.stderr.write(`${paint('red', 'image-budget: error:')} ${escapeLines(cliMessage(e))}\n`);
    return EXIT.error;
  }
}
