import type { CommanderError } from 'commander';
import { SECRET_NAMES } from '../../catalog/secrets';

/** An option name worth repeating: `--something-like-this`, nothing that could be part of a key. */
const PLAIN_OPTION = /^--?[a-z][a-z0-9-]{0,30}$/;

/**
 * commander's error, told without what was typed: its own messages quote the refused argument, which may be a
 * pasted key. Only a plain option name (`--enviroment`) is repeated, never a value.
 */
export function safeCommanderMessage(error: CommanderError, commands: readonly string[] = []): string {
  // commander's own suggestion (showSuggestionAfterError) names a real option or command: safe to repeat.
  const suggested = /\(Did you mean (-{0,2}[a-z][a-z0-9-]*)\?\)/.exec(error.message)?.[1];
  const didYouMean = suggested ? ` (did you mean ${suggested}?)` : '';
  switch (error.code) {
    case 'commander.unknownOption': {
      const quoted = /'([^']*)'/.exec(error.message)?.[1] ?? '';
      const name = quoted.split('=')[0];
      return (PLAIN_OPTION.test(name) ? `unknown option ${name}` : 'an unknown option (not shown: it may be a pasted key)') + didYouMean;
    }
    case 'commander.unknownCommand':
      return `unknown command (not shown)${didYouMean}: the commands are ${commands.join(', ')}`;
    case 'commander.excessArguments':
      return 'unexpected extra argument (not shown: it may be a pasted key)';
    case 'commander.missingArgument':
      return `missing argument: ${/argument '([a-z<>]+)'/.exec(error.message)?.[1] ?? '<secret>'} (one of ${SECRET_NAMES.join(', ')})`;
    case 'commander.optionMissingArgument': {
      const option = /option '([^']*)'/.exec(error.message)?.[1] ?? 'an option';
      return `${option.replace(/ <[^>]*>$/, '').replace(/^-[a-z], /, '')} needs a value`;
    }
    case 'commander.missingMandatoryOptionValue':
      return error.message.replace(/^error: /, '');
    case 'commander.invalidArgument':
      // Raised by our own argument parsers (positive seconds): their messages name the flag only.
      return error.message.replace(/^error: /, '').replace(/ argument '[^']*' is invalid\./, ' is invalid.');
    default:
      return 'invalid command line (run with --help)';
  }
}
