// The mutation gate's mutants (issue 7 §3): each is a deliberately broken core that the seeded
// sweep of `npm test` must catch. An edit names the exact text it changes; mutated-tree.ts fails
// if that text is not there exactly once, so a refactor has to carry its mutants along.
export interface MutantEdit {
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

export interface Mutant {
  readonly name: string;
  /** What the broken core does wrong. */
  readonly description: string;
  readonly edits: readonly MutantEdit[];
}

export const MUTANTS: readonly Mutant[] = [
  {
    name: "newview-reproposes-nothing",
    description: "the prepared-certificate choice always returns null, so a new-view never re-proposes a prepared block (primary and backups agree on the wrong rule)",
    edits: [
      {
        file: "src/consensus/view-change.ts",
        find: "  let best: PreparedCertificate | null = null;\n  for (const vc of viewChanges) {",
        replace: "  let best: PreparedCertificate | null = null;\n  for (const vc of viewChanges.slice(0, 0)) {",
      },
    ],
  },
  {
    name: "newview-choice-unchecked",
    description: "backups accept a new-view without recomputing its choice from the view-changes it carries",
    edits: [
      {
        file: "src/consensus/view-change.ts",
        find: "  const chosen = chooseCertificate(nv.viewChanges);\n  const claimed = nv.chosenBlockHash;",
        replace: "  if (seen.size > 0) return null;\n  const chosen = chooseCertificate(nv.viewChanges);\n  const claimed = nv.chosenBlockHash;",
      },
    ],
  },
  {
    name: "header-view-unchecked",
    description: "backups accept a fresh proposal whose header names another view and proposer than its pre-prepare (issue 7, bug 2)",
    edits: [
      {
        file: "src/consensus/normal-case.ts",
        find: "  const bad = reproposal ? null : freshHeaderFault(header, m.view, m.from);",
        replace: "  const bad: string | null = reproposal ? null : null;",
      },
    ],
  },
  {
    name: "dbft-zero-weight-seats",
    description: "DBFT elects zero-weight registrants to the seats weighted candidates leave (issue 7, bug 1)",
    edits: [
      {
        file: "src/consensus/selection/dbft.ts",
        find: "    if (r.weight === 0n || elected.length >= validatorCount) break;",
        replace: "    if (elected.length >= validatorCount) break;",
      },
    ],
  },
  {
    name: "duplicate-signers-count",
    description: "a validator listed twice counts twice in a seal and in a prepared certificate",
    edits: [
      {
        file: "src/chain/seal.ts",
        find: "    if (seen.has(c.validator)) throw new SealError(\"DUPLICATE_SIGNER\", `validator ${c.validator} signed the seal twice`, { validator: c.validator });\n",
        replace: "",
      },
      {
        file: "src/chain/seal.ts",
        find: "  if (seen.size < q) throw new SealError(",
        replace: "  if (seal.commits.length < q) throw new SealError(",
      },
      {
        file: "src/consensus/view-change.ts",
        find: "    if (seen.has(p.from)) return { fault: \"invalid-certificate\", detail: `prepared certificate lists ${p.from} twice` };\n",
        replace: "",
      },
      {
        file: "src/consensus/view-change.ts",
        find: "  if (seen.size < ctx.quorum) {\n    return { fault: \"invalid-certificate\", detail: `prepared certificate has",
        replace: "  if (cert.prepares.length < ctx.quorum) {\n    return { fault: \"invalid-certificate\", detail: `prepared certificate has",
      },
    ],
  },
  {
    name: "quorum-from-previous-set",
    description: "the quorum at a height is computed from the previous height's validator set",
    edits: [
      {
        file: "src/consensus/replica-state.ts",
        find: "    this.n = validators.members.length;\n    this.f = faultTolerance(this.n);\n    this.q = quorumSize(this.n);",
        replace:
          "    const previousN = this.n === 0 ? validators.members.length : this.n;\n    this.n = validators.members.length;\n    this.f = faultTolerance(previousN);\n    this.q = quorumSize(previousN);",
      },
    ],
  },
  {
    name: "quorum-f-plus-1",
    description: "the quorum is f+1, so two quorums need not share a correct validator",
    edits: [
      {
        file: "src/chain/validator-set.ts",
        find: "  return Math.floor((n + faultTolerance(n)) / 2) + 1;",
        replace: "  return faultTolerance(n) + 1;",
      },
    ],
  },
  {
    name: "vote-store-forgets",
    description: "the vote store loses its records across a restart, so a restarted replica forgets what it signed",
    edits: [
      {
        file: "src/store/memory-vote-store.ts",
        find: "    return [...this.votes.values()].sort(compareVotes);",
        replace: "    return [];",
      },
    ],
  },
  {
    name: "last-commit-unchecked",
    description: "validateBlock takes any lastCommit, so a proposer can claim who signed the parent (and steer the proposer standing)",
    edits: [
      {
        file: "src/consensus/block-rules.ts",
        find: "  checkLastCommit(block, params);\n  const limit = limits(params);",
        replace: "  const limit = limits(params);",
      },
    ],
  },
];
