// Multi-process local networks: create a testnet directory, run one `triad start` process per
// node, drive a tx load, show progress, and check that the nodes agree (`triad check`).
export {
  checkNetwork,
  checkTestnet,
  isHonestNode,
  manifestTargets,
  sealFromCommit,
  type CheckOptions,
  type CheckReport,
  type CheckTarget,
  type NetworkCheckOptions,
  type NodeCheck,
  type NodeReport,
} from "./agreement-check.js";
export { ACKS_FILE, AcksWriter, parseAcks, readAcks, type TxAck } from "./acks-file.js";
export { RpcChainSource, type ChainSource, type SourceStatus } from "./chain-source.js";
export { LoadGenerator, type LoadOptions, type LoadStats } from "./load-generator.js";
export { manifestPath, manifestSchema, MANIFEST_FILE, portOf, readManifest, TestnetError, writeManifest, type NodeRole, type TestnetManifest, type TestnetNodeInfo } from "./manifest.js";
export { nodeInfoPath, nodeLogPath, NodeProcess, runTriad, tailOf, TRIAD_BIN, type NodeInfoFile, type ProcessExit, type TriadRun } from "./node-process.js";
export { freePorts } from "./ports.js";
export { PROGRESS_RPC_TIMEOUT_MS, ProgressMonitor, type NodeSample, type ProgressNode, type ProgressOptions } from "./progress.js";
export { genesisWithConsensus, prepareTestnet, type PreparedTestnet, type TestnetSpec } from "./setup.js";
export { Testnet, type ExitListener, type TestnetRunOptions } from "./testnet.js";
export { TxBuilder, type BuiltTx } from "./tx-builder.js";
export { headHeight, isProcessAlive, killProcesses, submitUntilCommitted, waitFor, waitForHeight, waitForTx, type SubmitOptions, type WaitOptions } from "./scenario.js";
export { ControlClient, NetControl, NetControlError, PROCESS_ACTIONS, type NodeFaultStatus, type ProcessAction, type ProcessControl, type ProcessState } from "./net-control.js";
export { ControlServer, type ControlTarget } from "./control-server.js";
