// A mutant is a small textual change to the real source: the project's src/ is copied to a temp
// directory, the change applied there (its text must occur exactly once, so a refactor that moves
// the code breaks the mutant loudly instead of silently testing nothing), and the simulator runs
// from that copy in a child process. Module mocks cannot do this: calls inside one module (the
// new-view check calling the certificate choice) never see a mocked export.
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Mutant } from "./mutants.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export interface MutatedTree {
  readonly dir: string;
  remove(): void;
}

/** Copy src/ (and this folder) to a temp dir and apply every edit of `mutant`. */
export function mutatedTree(mutant: Mutant): MutatedTree {
  const dir = mkdtempSync(join(tmpdir(), `triad-mutant-${mutant.name}-`));
  cpSync(join(ROOT, "src"), join(dir, "src"), { recursive: true });
  cpSync(join(ROOT, "test/sim/mutation"), join(dir, "test/sim/mutation"), { recursive: true });
  for (const file of ["package.json", "tsconfig.json"]) cpSync(join(ROOT, file), join(dir, file));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  for (const edit of mutant.edits) {
    const path = join(dir, edit.file);
    const text = readFileSync(path, "utf8");
    const count = text.split(edit.find).length - 1;
    if (count !== 1) throw new Error(`mutant ${mutant.name}: expected the text to change exactly once in ${edit.file}, found it ${count} times: ${edit.find}`);
    writeFileSync(path, text.replace(edit.find, () => edit.replace));
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface SweepVerdict {
  /** The first seed whose run violated an invariant, or null. */
  readonly seed: number | null;
  readonly invariants: readonly string[];
  readonly detail: string;
  readonly seedsRun: number;
}

/** Run the sweep's seeds from..to in the mutated tree until one is caught. */
export function sweepUntilCaught(tree: MutatedTree, from: number, to: number, scenario: object = {}): Promise<SweepVerdict> {
  const entry = join(tree.dir, "test/sim/mutation/sweep-until-caught.ts");
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      ["--import", "tsx", entry, String(from), String(to), JSON.stringify(scenario)],
      { cwd: tree.dir, maxBuffer: 16 * 1024 * 1024, timeout: 15 * 60_000 },
      (err, stdout, stderr) => {
        if (err !== null) {
          reject(new Error(`mutant sweep failed: ${err.message}\n${stderr}`));
          return;
        }
        const last = stdout.trim().split("\n").at(-1) ?? "";
        try {
          resolvePromise(JSON.parse(last) as SweepVerdict);
        } catch {
          reject(new Error(`mutant sweep printed no verdict:\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}
