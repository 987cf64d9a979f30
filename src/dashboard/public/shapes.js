// @ts-check
// The shapes the page reads: a node's `triad_dashboard` result and the testnet's network.json
// (issue 10's contract). Types only; nothing runs here.

/**
 * @typedef {Object} NodeSummary
 * @property {string} moniker
 * @property {string | null} validator_id
 * @property {string} peer_id
 * @property {string} chain_id
 * @property {"poa" | "dbft"} selection
 * @property {string} version
 * @property {number} height
 * @property {number} view
 * @property {string} phase
 * @property {string | null} primary
 * @property {"primary" | "backup" | "observer"} role
 * @property {string[]} byzantine
 * @property {boolean} syncing
 * @property {number} uptime_ms
 * @property {number} peers
 * @property {{ txs: number, bytes: number }} mempool
 * @property {Record<string, number>} view_changes
 * @property {number} faults_reported
 * @property {number} messages_refused
 * @property {number} now_ms
 */

/**
 * @typedef {Object} ValidatorSummary
 * @property {string} address
 * @property {number} power
 * @property {boolean} primary
 * @property {boolean} self
 * @property {boolean} connected
 * @property {number | null} last_sealed_height
 * @property {number} sealed_recent
 * @property {number} recent_blocks
 * @property {number} faults
 */

/**
 * @typedef {Object} BlockSummary
 * @property {number} height
 * @property {string} hash
 * @property {string} proposer
 * @property {number} txs
 * @property {number} view
 * @property {number} bytes
 * @property {number} timestamp_ms
 * @property {number | null} appended_ms
 * @property {number | null} latency_ms
 * @property {"consensus" | "sync" | null} source
 */

/**
 * @typedef {{ seq: number, at_ms: number, kind: "view-change", height: number, view: number, reason: string }
 *   | { seq: number, at_ms: number, kind: "fault", peer: string, fault: string, detail: string }
 *   | { seq: number, at_ms: number, kind: "perturbation", action: string, peer: string | null, detail: string }} JournalEvent
 */

/**
 * @typedef {Object} DashboardSnapshot
 * @property {NodeSummary} node
 * @property {ValidatorSummary[]} validators
 * @property {BlockSummary[]} blocks
 * @property {JournalEvent[]} events
 * @property {number} next_since
 */

/**
 * @typedef {Object} NetworkNode
 * @property {string} name
 * @property {string} role
 * @property {string} id
 * @property {string} rpc
 * @property {string} ws
 * @property {string | null} metrics
 * @property {string[]} byzantine
 * @property {string | null} twin_of
 * @property {"running" | "paused" | "stopped"} state
 */

/**
 * @typedef {Object} NetworkPerturbation
 * @property {number} seq
 * @property {number} at_ms
 * @property {"kill" | "restart" | "pause" | "resume"} action
 * @property {string} node
 */

/**
 * @typedef {Object} NetworkInfo
 * @property {string} chain_id
 * @property {string} selection
 * @property {number} now_ms
 * @property {NetworkNode[]} nodes
 * @property {NetworkPerturbation[]} perturbations
 */

export {};
