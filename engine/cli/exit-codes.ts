// Exit codes scripts can trust: 0 success, 1 the user's input needs fixing (the message
// says where), 2 anything else (database down, bug). Every command action runs inside this.
export { withExitCodes } from './validate.ts';
