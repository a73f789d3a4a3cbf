/** Where the Conduit (RealWorld) API lives: every route of src/conduit/ is under it, and only those are. */
export const CONDUIT_PATH = '/api';
