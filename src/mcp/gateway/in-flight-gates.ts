import type { GatewayConfig } from '../../config/index.js';
import { InFlightGate } from '../tools/in-flight-gate.js';
import { type GateNeeds, inFlightNeeds } from './compile-tools.js';

/** The gates a runtime's tools were compiled on, and the limits they take when it is put in force. */
export type GatePlan = ReadonlyMap<string, { readonly gate: InFlightGate; readonly needs: GateNeeds }>;

/**
 * The in-flight gate of each upstream, by name, across reloads: the tools of a new config run through
 * the gate of the running one, so the calls still running on the old config count against
 * `upstreams.<name>.inFlight` (else old and new tools would each admit up to the cap).
 */
export class InFlightGates {
  private readonly gates = new Map<string, InFlightGate>();

  /** The gates of `config`: the running gate of each upstream it names, a new one for the others. */
  plan(config: GatewayConfig): GatePlan {
    const plan = new Map<string, { gate: InFlightGate; needs: GateNeeds }>();
    for (const [name, needs] of inFlightNeeds(config))
      plan.set(name, {
        gate: this.gates.get(name) ?? new InFlightGate(needs.limits, needs.toolCount),
        needs,
      });
    return plan;
  }

  /** Puts a plan in force: its limits apply to running gates; gates of removed upstreams are let go. */
  commit(plan: GatePlan): void {
    for (const [name, { gate, needs }] of plan) {
      if (this.gates.get(name) === gate) gate.resize(needs.limits, needs.toolCount);
      else this.gates.set(name, gate);
    }
    for (const name of [...this.gates.keys()]) if (!plan.has(name)) this.gates.delete(name);
  }
}

/** The gates of a plan, as the tools are compiled on them. */
export function gatesOf(plan: GatePlan): Map<string, InFlightGate> {
  return new Map([...plan].map(([name, { gate }]) => [name, gate]));
}
