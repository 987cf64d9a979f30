export { runSoak, lostTxs, type SoakOptions, type SoakSummary } from "./soak-run.js";
export { FaultPlan, faultyNodes, describeFault, SOAK_FAULT_KINDS, type SoakFault, type SoakFaultKind, type SoakNode } from "./fault-plan.js";
export { StallTracker, majorityHeight } from "./stall-tracker.js";
