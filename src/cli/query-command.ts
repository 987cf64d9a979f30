// Read commands against a running node's JSON-RPC: `triad status`, `triad block [HEIGHT]`,
// `triad validators [HEIGHT]`. Output is the RPC result as JSON.
import { Command, Option } from "commander";
import { defaultRpcUrl, parseHeight, parseRpcUrl } from "./node-options.js";
import { clientFor, printJson, rpcCall } from "./rpc-call.js";

interface RpcOptions {
  rpc: string;
}

function rpcOption(): Option {
  return new Option("--rpc <url>", "node RPC URL (env TRIAD_RPC)").default(defaultRpcUrl()).argParser(parseRpcUrl);
}

export function statusCommand(): Command {
  return new Command("status")
    .description("print a node's status (head, identity, sync) as JSON")
    .addOption(rpcOption())
    .action(async (options: RpcOptions) => {
      printJson(await rpcCall(options.rpc, () => clientFor(options.rpc).status()));
    });
}

export function blockCommand(): Command {
  return new Command("block")
    .description("print a block (the head when HEIGHT is omitted) as JSON")
    .argument("[height]", "block height", parseHeight)
    .addOption(rpcOption())
    .action(async (height: number | undefined, options: RpcOptions) => {
      printJson(await rpcCall(options.rpc, () => clientFor(options.rpc).block(height)));
    });
}

export function validatorsCommand(): Command {
  return new Command("validators")
    .description("print the validator set of a height (the head when omitted) as JSON")
    .argument("[height]", "block height", parseHeight)
    .addOption(rpcOption())
    .action(async (height: number | undefined, options: RpcOptions) => {
      printJson(await rpcCall(options.rpc, () => clientFor(options.rpc).validators(height)));
    });
}
