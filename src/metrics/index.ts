// The metrics folder's public surface: the nullable metrics object node components take
// (`Metrics | null`), its HTTP endpoint, and the observer that derives consensus metrics from
// the driver's events.
export {
  createMetrics,
  MAX_VALIDATOR_LABELS,
  MESSAGE_TYPES,
  Metrics,
  REJECT_REASONS,
  type ConsensusStep,
  type MessageType,
  type RejectReason,
} from "./metrics.js";
export { MetricsServer, type MetricsServerDeps, type MetricsServerOptions } from "./metrics-server.js";
export { ConsensusObserver, type ConsensusObserverDeps } from "./consensus-observer.js";
export { classifyRejection } from "./rejection.js";
