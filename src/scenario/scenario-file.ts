// A scenario file (TOML): the network to start, its Byzantine nodes, the load, a timeline of
// perturbations at seconds or heights, and what the run must show. In the spirit of CometBFT's
// e2e manifests, but one file runs a whole experiment and says what it proves:
//
//   name = "primary-crash"
//   description = "kill -9 the primary; the others change view; it restarts and catches up"
//   seed = 7
//   [network]  validators = 4, selection = "poa", tick_ms = 50, byzantine = "1:equivocate"
//   [load]     rate = 40, kinds = ["transfer", "kv-put"]
//   [[step]]   at = "4s", do = "kill", node = "primary", label = "victim"
//   [[step]]   after = "6s", do = "restart", node = "victim"
//   [[expect]] what = "view-changes", reason = "timeout", min = 1
//
// Parsing is strict (unknown keys are errors: a typo must not silently test nothing) and every
// error names the file and the key.
import { readFile } from "node:fs/promises";
import { parse as parseToml } from "smol-toml";
import { z } from "zod";
import { TriadError } from "../chain/index.js";

export class ScenarioError extends TriadError<"SCENARIO_INVALID" | "SCENARIO_FAILED" | "SCENARIO_ABORTED"> {}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)$/;

/** "500ms", "4s", "1.5m", or a number of seconds, to milliseconds. */
export function parseDuration(value: string | number): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`duration ${value} must be a non-negative number of seconds`);
    return Math.round(value * 1000);
  }
  const m = DURATION.exec(value.trim());
  if (m === null) throw new RangeError(`duration ${JSON.stringify(value)} is not like "500ms", "4s" or "1.5m"`);
  const n = Number(m[1]);
  return Math.round(m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : n * 60_000);
}

const duration = z.union([z.number(), z.string()]).transform((v, ctx) => {
  try {
    return parseDuration(v);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: (err as Error).message });
    return z.NEVER;
  }
});

/**
 * A node: its index among the testnet's nodes, its name ("validator-2"), "primary" (the
 * primary at the moment the step runs, as the honest nodes report it), "random" (drawn from
 * the seed among the nodes that fit the step) or the label of an earlier step.
 */
const nodeRef = z.union([z.number().int().nonnegative(), z.string().regex(/^[a-z0-9-]+$/)]).transform(String);
const probability = z.number().min(0).max(1);

const timing = {
  /** Time since the timeline started (the network was up and the load running). */
  at: duration.optional(),
  /** Time since the previous step ran. */
  after: duration.optional(),
  /** Wait until an honest node's head reaches this height. */
  at_height: z.number().int().positive().optional(),
  /** A name later steps and expectations can use for the node this step chose. */
  label: z.string().regex(/^[a-z][a-z0-9-]*$/).optional(),
};

const stepSchema = z.discriminatedUnion("do", [
  z.object({ ...timing, do: z.enum(["kill", "restart", "pause", "resume", "isolate"]), node: nodeRef }).strict(),
  z.object({ ...timing, do: z.literal("partition"), groups: z.union([z.string(), z.array(z.array(nodeRef)).min(2)]) }).strict(),
  z.object({ ...timing, do: z.literal("heal") }).strict(),
  z.object({ ...timing, do: z.literal("delay"), node: nodeRef, ms: z.number().int().min(1).max(60_000), max_ms: z.number().int().min(1).max(60_000).optional() }).strict(),
  z.object({ ...timing, do: z.enum(["loss", "duplicate"]), node: nodeRef, p: probability }).strict(),
  z.object({ ...timing, do: z.literal("oneway"), node: nodeRef, to: nodeRef }).strict(),
  /** Nothing but time: lets a perturbation last. */
  z.object({ ...timing, do: z.literal("wait") }).strict(),
  /** PoA governance: every honest validator votes to add or remove `node`'s key. */
  z.object({ ...timing, do: z.enum(["poa-add", "poa-remove"]), node: nodeRef }).strict(),
  /** DBFT: `node`'s key registers as a candidate (its account must exist; registering is free). */
  z.object({ ...timing, do: z.literal("dbft-register"), node: nodeRef }).strict(),
  /** DBFT: a funded account (default the first) votes its balance for these nodes' keys. */
  z.object({ ...timing, do: z.literal("dbft-vote"), candidates: z.array(nodeRef).min(1), account: z.string().optional() }).strict(),
]);

export type ScenarioStep = z.infer<typeof stepSchema>;
export type StepKind = ScenarioStep["do"];

const FAULT_KINDS = [
  "bad-signature",
  "not-a-member",
  "wrong-chain",
  "wrong-primary",
  "equivocation",
  "invalid-block",
  "lying-new-view",
  "invalid-certificate",
  "view-too-far",
  "malformed",
] as const;

const expectSchema = z.discriminatedUnion("what", [
  /** Honest nodes reported faults of this node (of one kind, if given). */
  z.object({ what: z.literal("faults-reported"), from: nodeRef, fault: z.enum(FAULT_KINDS).optional(), min: z.number().int().positive().default(1) }).strict(),
  /** Honest nodes changed view (for this reason, if given), at least `min` times on some honest node. */
  z.object({ what: z.literal("view-changes"), reason: z.enum(["timeout", "bad-proposal", "join", "entered"]).optional(), min: z.number().int().positive().default(1) }).strict(),
  /** The Byzantine node's behaviours acted (it did misbehave). */
  z.object({ what: z.literal("byzantine-acts"), node: nodeRef, min: z.number().int().positive().default(1) }).strict(),
  /** The validator set at the end includes / excludes these nodes' keys. */
  z.object({ what: z.literal("validator-set"), includes: z.array(nodeRef).default([]), excludes: z.array(nodeRef).default([]) }).strict(),
  /** Txs the load saw committed. */
  z.object({ what: z.literal("committed"), min: z.number().int().nonnegative() }).strict(),
  /** Consensus messages the honest nodes refused before the core (bad signature, wrong chain, stale…). */
  z.object({ what: z.literal("messages-refused"), min: z.number().int().positive().default(1) }).strict(),
]);

export type ScenarioExpectation = z.infer<typeof expectSchema>;

const scenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    description: z.string().min(1),
    /** Draws the Byzantine plan, the fault layer's dice, "random" nodes and the load. */
    seed: z.number().int().nonnegative().default(1),
    network: z
      .object({
        validators: z.number().int().min(4).max(32).default(4),
        selection: z.enum(["poa", "dbft"]).default("poa"),
        observers: z.number().int().min(0).max(8).default(0),
        /** DBFT: candidates including validators (each gets a node). */
        candidates: z.number().int().min(4).max(32).optional(),
        epoch_length: z.number().int().positive().optional(),
        tick_ms: z.number().int().min(10).max(1000).default(50),
        /** The `--byzantine` spec: "1:equivocate,2:silent+replay". */
        byzantine: z.string().default(""),
        /** Run more than f Byzantine validators (a negative control: the check should then fail). */
        allow_over_f: z.boolean().default(false),
      })
      .strict()
      .default({ validators: 4, selection: "poa", observers: 0, tick_ms: 50, byzantine: "", allow_over_f: false }),
    load: z
      .object({
        rate: z.number().int().min(0).max(5000).default(20),
        kinds: z.array(z.enum(["transfer", "kv-put"])).min(1).default(["transfer"]),
      })
      .strict()
      .default({ rate: 20, kinds: ["transfer"] }),
    /** Time after the last step before the load stops and the chain is checked. */
    settle: duration.default(4000),
    /** Longest a restored node may take to catch up with the others (evidence, not safety). */
    catch_up_timeout: duration.default(30_000),
    /** Longest the whole timeline may take. */
    timeout: duration.default(120_000),
    step: z.array(stepSchema).default([]),
    expect: z.array(expectSchema).default([]),
  })
  .strict();

export type Scenario = z.infer<typeof scenarioSchema>;

/** Parse and check a scenario's text; `source` names it in errors. */
export function parseScenario(text: string, source = "scenario"): Scenario {
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (err) {
    throw new ScenarioError("SCENARIO_INVALID", `${source}: not valid TOML: ${(err as Error).message.split("\n")[0]}`, { source });
  }
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "");
    throw new ScenarioError("SCENARIO_INVALID", `${source}: ${where === "" ? "(top level)" : where}: ${issue.message}`, { source });
  }
  const scenario = parsed.data;
  const labels = new Set<string>();
  scenario.step.forEach((s, i) => {
    const when = [s.at, s.after, s.at_height].filter((v) => v !== undefined).length;
    if (when > 1) throw new ScenarioError("SCENARIO_INVALID", `${source}: step[${i}]: give at most one of at, after, at_height`, { source });
    if (s.label !== undefined) {
      if (labels.has(s.label)) throw new ScenarioError("SCENARIO_INVALID", `${source}: step[${i}]: label ${s.label} is used twice`, { source });
      labels.add(s.label);
    }
  });
  return scenario;
}

export async function readScenario(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new ScenarioError("SCENARIO_INVALID", `cannot read ${path}: ${(err as Error).message}`, { path });
  }
  return parseScenario(text, path);
}

/** "0,1,2/3,4" → [["0","1","2"],["3","4"]]. */
export function parseGroups(groups: string | readonly (readonly string[])[]): string[][] {
  if (typeof groups !== "string") return groups.map((g) => [...g]);
  const out = groups.split("/").map((g) => g.split(",").map((n) => n.trim()).filter((n) => n !== ""));
  if (out.length < 2 || out.some((g) => g.length === 0)) throw new RangeError(`partition ${JSON.stringify(groups)} is not like "0,1,2/3"`);
  return out;
}
