// `triad testnet`: a local network of real node processes on 127.0.0.1. Creates (or reopens)
// DIR with a genesis, keys, one home per node and testnet.json; starts one `triad start`
// process per node; shows live progress; optionally drives a tx load; and on Ctrl-C or
// SIGTERM stops every node cleanly before exiting 0.
import { join } from "node:path";
import { Command, Option } from "commander";
import { readKeyFile } from "../node/key-file.js";
import { GenesisBuildError } from "../node/genesis-builder.js";
import { checkNodeBehaviours, formatByzantineSpec, parseByzantineSpec, SimSpecError, type ByzantineSpec } from "../byzantine/index.js";
import { DEFAULT_TESTNET_BYZANTINE_SEED } from "../testnet/byzantine-plan.js";
import { LoadGenerator } from "../testnet/load-generator.js";
import { ACKS_FILE } from "../testnet/acks-file.js";
import { PROGRESS_RPC_TIMEOUT_MS, ProgressMonitor, type NodeSample } from "../testnet/progress.js";
import { TriadClient } from "../rpc/client.js";
import { ControlServer } from "../testnet/control-server.js";
import { killProcesses } from "../testnet/scenario.js";
import { prepareTestnet, type PreparedTestnet } from "../testnet/setup.js";
import { Testnet } from "../testnet/testnet.js";
import { CliError } from "./cli-error.js";
import { parseWholeNumber } from "./option-parsers.js";
import { warn } from "./output.js";

interface TestnetOptions {
  validators: number;
  selection: "poa" | "dbft";
  dir: string;
  observers: number;
  candidates?: number;
  epochLength?: number;
  accounts?: number;
  load: number;
  byzantine?: string;
  byzantineSeed?: number;
  allowOverF?: boolean;
  tickMs?: number;
  metricsBasePort: number;
  duration?: number;
  logLevel: string;
  secure?: boolean;
  json?: boolean;
}

const STOP_GRACE_MS = 10_000;
/** CometBFT's metrics port for the first node, the next ones for the others. */
const DEFAULT_METRICS_BASE_PORT = 26660;

function describe(prepared: PreparedTestnet): string {
  const m = prepared.manifest;
  const count = (role: string): number => m.nodes.filter((n) => n.role === role && n.twinOf === undefined).length;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;
  const parts = [plural(count("validator"), "validator")];
  if (count("candidate") > 0) parts.push(`${plural(count("candidate"), "more candidate")}`);
  if (count("observer") > 0) parts.push(plural(count("observer"), "observer"));
  return `${prepared.created ? "created" : "reusing"} testnet ${prepared.dir}: chain ${m.chainId} (${m.selection}), ${parts.join(", ")}${m.insecure ? ", INSECURE dev keys" : ""}`;
}

/** Options given on the command line must not contradict a testnet being reopened. */
function checkReuse(cmd: Command, options: TestnetOptions, prepared: PreparedTestnet): void {
  if (prepared.created) return;
  const m = prepared.manifest;
  const given = (name: string): boolean => cmd.getOptionValueSource(name) === "cli";
  const clash = (what: string, asked: unknown, has: unknown): CliError =>
    new CliError(`error: ${prepared.dir} already holds a testnet with ${what} ${String(has)}, not ${String(asked)}; remove the directory or use another --dir`);
  if (given("selection") && options.selection !== m.selection) throw clash("selection", options.selection, m.selection);
  const validators = m.nodes.filter((n) => n.role === "validator" && n.twinOf === undefined).length;
  if (given("validators") && options.validators !== validators) throw clash("validators", options.validators, validators);
  const observers = m.nodes.filter((n) => n.role === "observer").length;
  if (given("observers") && options.observers !== observers) throw clash("observers", options.observers, observers);
  // Byzantine roles and twins are fixed in the homes and testnet.json when the network is made.
  const byzantine = manifestByzantine(prepared);
  if (given("byzantine") && formatByzantineSpec(byzantineSpecOf(options)) !== byzantine) throw clash("Byzantine validators", formatByzantineSpec(byzantineSpecOf(options)), byzantine);
}

function summary(samples: readonly NodeSample[]): Record<string, unknown>[] {
  return samples.map((s) => ({ name: s.name, role: s.role, up: s.up, height: s.height, view: s.view }));
}

/**
 * Stop requests (signals, --duration, every node gone) as one promise. Signals are taken from
 * the start: a Ctrl-C while the homes are being created lets that finish, so the directory
 * stays usable, and then starts nothing. A second Ctrl-C kills the nodes at once.
 */
class StopSwitch {
  readonly stopped: Promise<string>;
  reason: string | null = null;
  testnet: Testnet | null = null;
  private resolve: (reason: string) => void = () => undefined;
  private signals = 0;

  constructor() {
    this.stopped = new Promise<string>((resolve) => (this.resolve = resolve));
  }

  request(reason: string): void {
    this.reason ??= reason;
    this.resolve(reason);
  }

  readonly onSignal = (signal: NodeJS.Signals): void => {
    if (++this.signals === 1) return this.request(signal);
    for (const name of this.testnet?.running() ?? []) this.testnet!.process(name).kill("SIGKILL");
  };

  /** Last resort if the supervisor dies of a bug: the nodes run in their own process groups and would outlive it. */
  readonly onExit = (): void => killProcesses(this.testnet?.pids() ?? []);
}

/** The `--byzantine` spec over the genesis validators' indexes; sim-only behaviours are refused. */
function byzantineSpecOf(options: TestnetOptions): ByzantineSpec {
  if (options.byzantine === undefined) return [];
  try {
    const spec = parseByzantineSpec(options.byzantine, { validators: options.validators, allowOverF: options.allowOverF === true });
    for (const v of spec) checkNodeBehaviours(v.behaviours);
    return spec;
  } catch (err) {
    if (err instanceof SimSpecError) throw new CliError(`error: --byzantine: ${err.message}`);
    throw err;
  }
}

/** The manifest's Byzantine nodes as a spec string (twin copies are not validators of their own). */
function manifestByzantine(prepared: PreparedTestnet): string {
  const validators = prepared.manifest.nodes.filter((n) => n.role === "validator" && n.twinOf === undefined);
  return formatByzantineSpec(validators.flatMap((n, index) => ((n.byzantine?.length ?? 0) > 0 ? [{ index, behaviours: n.byzantine as ByzantineSpec[number]["behaviours"] }] : [])));
}

async function run(options: TestnetOptions, cmd: Command): Promise<void> {
  // Validated first, so a typo is reported before anything is created.
  byzantineSpecOf(options);
  if (options.selection !== "dbft" && (options.candidates !== undefined || options.epochLength !== undefined)) {
    throw new CliError("error: --candidates and --epoch-length apply only to --selection dbft");
  }
  const stop = new StopSwitch();
  process.on("SIGINT", stop.onSignal);
  process.on("SIGTERM", stop.onSignal);
  process.on("exit", stop.onExit);
  try {
    await supervise(options, cmd, stop);
  } finally {
    process.off("SIGINT", stop.onSignal);
    process.off("SIGTERM", stop.onSignal);
    process.off("exit", stop.onExit);
  }
}

async function prepare(options: TestnetOptions): Promise<PreparedTestnet> {
  try {
    return await prepareTestnet({
      dir: options.dir,
      selection: options.selection,
      validators: options.validators,
      observers: options.observers,
      secure: options.secure === true,
      ...(options.candidates !== undefined ? { candidates: options.candidates } : {}),
      ...(options.epochLength !== undefined ? { epochLength: options.epochLength } : {}),
      ...(options.accounts !== undefined ? { accounts: options.accounts } : {}),
      ...(options.tickMs !== undefined ? { consensus: { tickMs: options.tickMs } } : {}),
      byzantine: byzantineSpecOf(options),
      byzantineSeed: options.byzantineSeed ?? DEFAULT_TESTNET_BYZANTINE_SEED,
      metricsBasePort: options.metricsBasePort,
    });
  } catch (err) {
    if (err instanceof GenesisBuildError && err.code === "INVALID_OPTION") {
      throw new CliError(`error: --${String(err.details.option).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${String(err.details.reason)}`);
    }
    throw err;
  }
}

async function startLoad(prepared: PreparedTestnet, rate: number): Promise<LoadGenerator> {
  const m = prepared.manifest;
  if (m.accounts.length === 0) throw new CliError("error: --load needs funded accounts with key files in the testnet's keys/ directory");
  const pairs = await Promise.all(m.accounts.map(async (a) => (await readKeyFile(a.key)).pair));
  const targets = m.nodes.map((n) => new TriadClient({ url: n.rpc, timeoutMs: 5_000 }));
  // Every tx a node shows in a block is acknowledged in DIR/load-acks.jsonl, for `triad check`.
  const acks = { file: join(prepared.dir, ACKS_FILE) };
  const load = new LoadGenerator({ chainId: m.chainId, accounts: pairs, targets, rate, targetNames: m.nodes.map((n) => n.name), acks });
  load.start();
  return load;
}

async function supervise(options: TestnetOptions, cmd: Command, stop: StopSwitch): Promise<void> {
  const out = options.json === true ? process.stderr : process.stdout;
  const say = (line: string): boolean => out.write(`${line}\n`);

  const prepared = await prepare(options);
  checkReuse(cmd, options, prepared);
  if (prepared.manifest.insecure) warn("testnet keys are public dev keys (INSECURE); use --secure for random keys");
  say(describe(prepared));
  for (const note of prepared.notes ?? []) say(note);
  const byzantineNodes = prepared.manifest.nodes.filter((n) => (n.byzantine?.length ?? 0) > 0);
  if (byzantineNodes.length > 0) {
    const seed = byzantineNodes[0]!.byzantineSeed ?? DEFAULT_TESTNET_BYZANTINE_SEED;
    const list = byzantineNodes.map((n) => `${n.name} ${n.byzantine!.join("+")}${n.onlyPeers !== undefined ? ` (sees ${n.onlyPeers.length} peers)` : ""}`).join(", ");
    say(`BYZANTINE nodes (seed ${seed}; rerun with --byzantine-seed ${seed} for the same attack plan): ${list}`);
  }
  if (stop.reason !== null) {
    say(`not starting the nodes (${stop.reason})`);
    return;
  }

  const startArgs = ["--log-level", options.logLevel, ...(options.tickMs !== undefined ? ["--tick-ms", String(options.tickMs)] : [])];
  const testnet = new Testnet(prepared, { startArgs, stopGraceMs: STOP_GRACE_MS });
  stop.testnet = testnet;
  // `triad net kill|restart|pause|resume` reach the processes through this (URL in testnet.json).
  const control = new ControlServer(testnet);
  let load: LoadGenerator | null = null;
  const monitor = new ProgressMonitor(
    testnet.nodes.map((n) => ({
      name: n.name,
      role: n.role,
      id: n.id,
      client: new TriadClient({ url: n.rpc, timeoutMs: PROGRESS_RPC_TIMEOUT_MS }),
      running: () => testnet.isRunning(n.name),
      ...(n.byzantine !== undefined ? { byzantine: n.byzantine } : {}),
    })),
    { out, footer: () => (load === null ? undefined : loadLine(load)) },
  );
  testnet.onExit((name, exit, expected) => {
    if (expected) return;
    monitor.message(`${name} exited unexpectedly (${exit.signal ?? `code ${exit.code}`}); see ${testnet.process(name).log}`);
    if (testnet.running().length === 0) stop.request("every node exited");
  });

  let failure: unknown = null;
  let final: NodeSample[] = [];
  try {
    const starting = testnet.start();
    // A stop request during startup still stops whatever was started.
    const interrupted = await Promise.race([starting.then(() => null), stop.stopped]);
    if (interrupted !== null) {
      await starting.catch(() => undefined);
    } else {
      const controlUrl = await control.start();
      await testnet.setControl(controlUrl);
      for (const n of testnet.nodes) {
        const byz = (n.byzantine?.length ?? 0) > 0 ? `  BYZANTINE ${n.byzantine!.join("+")}` : "";
        say(`  ${n.name.padEnd(12)} ${n.role.padEnd(9)} rpc ${n.rpc}  p2p ${n.p2p}${n.metrics === undefined ? "" : `  metrics ${n.metrics}`}  pid ${n.pid ?? "-"}${byz}`);
      }
      say(`wrote ${prepared.dir}/testnet.json; node logs in ${prepared.dir}/nodes/<name>/node.log; Ctrl-C stops the network`);
      if (options.load > 0) {
        load = await startLoad(prepared, options.load);
        say(`load: ${options.load} tx/s of transfers from ${prepared.manifest.accounts.length} accounts (${prepared.manifest.accounts.map((a) => a.name).join(", ")})`);
      }
      // Last, so it is the line a user sees above the progress table.
      say(`node dashboards: <rpc>/dashboard/ on every node, e.g. ${testnet.nodes[0]!.rpc}/dashboard/`);
      say(`dashboard: ${controlUrl}/dashboard/`);
      monitor.start();
      let timer: NodeJS.Timeout | undefined;
      if (options.duration !== undefined) timer = setTimeout(() => stop.request(`${options.duration}s elapsed`), options.duration * 1000);
      const reason = await stop.stopped;
      clearTimeout(timer);
      if (reason === "every node exited") failure = new CliError("error: every node exited; see the node logs");
      monitor.message(`stopping (${reason})…`);
    }
  } catch (err) {
    failure = err;
  } finally {
    await load?.stop();
    await monitor.stop();
    // The last word from the nodes while they still answer.
    if (failure === null) final = await monitor.poll().catch(() => []);
    await control.stop();
    await testnet.setControl(null).catch(() => undefined);
    await testnet.stop();
  }
  if (failure !== null) throw failure;
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify({ dir: prepared.dir, chainId: prepared.manifest.chainId, nodes: summary(final), ...(load !== null ? { load: load.stats } : {}) }, null, 2)}\n`);
  } else {
    say(`stopped ${testnet.nodes.length} nodes; highest height ${Math.max(0, ...final.map((s) => s.height))}${load !== null ? `; ${loadLine(load)}` : ""}`);
  }
}

function loadLine(load: LoadGenerator): string {
  const s = load.stats;
  const refusals = Object.entries(s.refusals).map(([k, v]) => `${k} ${v}`).join(", ");
  return `load: sent ${s.sent}, accepted ${s.accepted}, re-sent ${s.resent}, refused ${s.refused}, failed ${s.failed}${refusals === "" ? "" : ` (${refusals})`}`;
}

export function testnetCommand(): Command {
  return new Command("testnet")
    .description("run a local network of node processes on 127.0.0.1 (creates DIR, or reuses the testnet already in it)")
    .option("--validators <n>", "number of validators (at least 4)", parseWholeNumber, 4)
    .addOption(new Option("--selection <name>", "validator selection").choices(["poa", "dbft"]).default("poa"))
    .option("--dir <dir>", "testnet directory: genesis, keys, node homes, testnet.json", "./net")
    .option("--observers <k>", "non-validator nodes that follow the chain", parseWholeNumber, 0)
    .option("--candidates <m>", "dbft: candidates including validators; each gets a node (default: --validators)", parseWholeNumber)
    .option("--epoch-length <e>", "dbft: blocks per epoch", parseWholeNumber)
    .option("--accounts <k>", "funded accounts (the load generator sends from them)", parseWholeNumber)
    .option("--load <txs>", "send this many transfers per second from the funded accounts (0: none)", parseWholeNumber, 0)
    .option("--byzantine <spec>", "Byzantine validators, <index>:<behaviour>[+…],… (see `triad sim --help`; at most f unless --allow-over-f)")
    .option("--byzantine-seed <n>", `seed of the Byzantine behaviours, their shared attack plan and the twins' halves (default ${DEFAULT_TESTNET_BYZANTINE_SEED})`, parseWholeNumber)
    .option("--allow-over-f", "allow more than f Byzantine validators (safety is then not guaranteed)")
    .option("--tick-ms <n>", "consensus tick length in ms (written to a new genesis; also passed to each node)", parseWholeNumber)
    .option("--metrics-base-port <port>", `node i serves Prometheus metrics on 127.0.0.1:(port + i); 0: free ports (default ${DEFAULT_METRICS_BASE_PORT})`, parseWholeNumber, DEFAULT_METRICS_BASE_PORT)
    .option("--duration <seconds>", "stop after this many seconds (default: run until Ctrl-C)", parseWholeNumber)
    .addOption(new Option("--log-level <level>", "node log level").choices(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"))
    .option("--secure", "random keys instead of the public dev keys")
    .option("--json", "print a JSON summary on exit (progress goes to stderr)")
    .action((options: TestnetOptions, cmd: Command) => run(options, cmd));
}
