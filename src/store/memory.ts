// The memory stores on their own entry, so the simulator and unit tests get them without
// loading LevelDB (./index.js re-exports them with the LevelDB stores).
export * from "./memory-block-store.js";
export * from "./memory-vote-store.js";
