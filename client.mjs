// `import … from "triad/client"` in plain Node: the client's runtime names, from the same
// loaded copy as "triad" (so `instanceof TriadRpcError` holds whichever entry a program used).
export { CHECK_TX_CODES, RPC_ERROR_CODES, TriadClient, TriadRpcError, checkTxCodeName } from "./index.mjs";
