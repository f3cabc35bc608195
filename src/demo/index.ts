/**
 * The bundled demo: an "assignments" REST service with switchable faults (also used by tests and the
 * chaos suite) and the scripted session behind `conduit demo`.
 */
export {
  startAssignmentsUpstream,
  type AssignmentsUpstream,
  type AssignmentsUpstreamOptions,
  type UpstreamStats,
} from './assignments-upstream.js';
export { type Assignment, type AssignmentStatus, seedAssignments } from './assignments-data.js';
export type { Fault } from './faults.js';
export { runDemo, type DemoOptions, type DemoResult } from './demo-session.js';
