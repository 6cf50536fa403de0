/** The one short line a chat user sees for an error: defined in the protocol, since the daemon sends it through the outbox. */
export { DEFAULT_USER_ERROR, USER_ERROR_LINES, userErrorLine } from "../../protocol/user-error.js";
