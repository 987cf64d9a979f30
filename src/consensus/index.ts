// The consensus core's public surface: PBFT as a pure `step(input) → actions` state machine, its
// messages and codec, and the seam to the validator-selection modules.
export * from "./messages.js";
export * from "./io.js";
export * from "./vote-record.js";
export * from "./replica-config.js";
export { Replica, ROUND_STATE_VIEWS, type ReplicaPhase, type ReplicaRoundState, type ReplicaStatus, type RoundVote, type ViewVoteSet } from "./replica.js";
export { viewTimeoutTicks, rebroadcastIntervalTicks } from "./timeouts.js";
export type { ValidatorSelection } from "./selection/validator-selection.js";
