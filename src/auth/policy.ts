import type { Principal } from '../core/index.js';
import { PolicyDeniedError } from './errors.js';

type ClaimValue = string | number | boolean;

/** Who a rule is about: every condition given must hold (an empty `when` holds for everyone). */
export interface PolicyCondition {
  /** The caller holds every one of these scopes. */
  scopes?: readonly string[] | undefined;
  /** For each claim: the caller's value (or one of its list) equals one of these. */
  claims?: Readonly<Record<string, ClaimValue | readonly ClaimValue[]>> | undefined;
  /** The caller is in one of these groups (the `groupsClaim` claim, a list or a space-separated string). */
  groups?: readonly string[] | undefined;
  /** The caller's subject is one of these. */
  subjects?: readonly string[] | undefined;
  /** The caller's OAuth client is one of these. */
  clients?: readonly string[] | undefined;
}

export interface PolicyRule {
  effect: 'allow' | 'deny';
  /** Tool name globs (`*` any run of characters, `?` one). */
  tools?: readonly string[] | undefined;
  /** Resource name globs: a resource template's `name`, or `health` for `conduit://health`. */
  resources?: readonly string[] | undefined;
  when?: PolicyCondition | undefined;
}

export interface PolicyConfig {
  /** What a call no rule matches gets. */
  default: 'allow' | 'deny';
  rules: readonly PolicyRule[];
  /** The claim that lists the caller's groups. Default `groups`. */
  groupsClaim?: string | undefined;
}

/** A policy decision: allowed, or refused with what would have allowed it (for the error). */
export type PolicyDecision = { allowed: true } | { allowed: false; neededScopes: readonly string[] };

function globRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${body}$`);
}

interface CompiledRule {
  effect: 'allow' | 'deny';
  tools: RegExp[];
  resources: RegExp[];
  when: PolicyCondition;
}

type Kind = 'tools' | 'resources';

const ALLOWED: PolicyDecision = Object.freeze({ allowed: true });

/**
 * Which tools a principal may call and which resources it may read. A resource no rule names is
 * governed by the tool it reads through (a template's tool), else by `default`. Deny rules that match win over allow rules; a call
 * no rule matches gets `default` (and under `default: allow`, a target an allow rule names is kept to
 * the callers that rule admits). The unrestricted operator (stdio without `server.operator`) is
 * allowed everything. Decisions are remembered per principal object (the token cache hands out the
 * same one for a token), so the hot path is a map lookup.
 *
 * @example
 * ```ts
 * const policy = new Policy({ default: 'deny', rules: [{ effect: 'allow', tools: ['get_*'], when: { scopes: ['read'] } }] });
 * policy.tool(principal, 'get_item'); // { allowed: true } when principal.scopes has 'read'
 * ```
 */
export class Policy {
  private readonly rules: CompiledRule[];
  private readonly groupsClaim: string;
  private readonly memo = new WeakMap<Principal, Map<string, PolicyDecision>>();

  constructor(private readonly config: PolicyConfig) {
    this.groupsClaim = config.groupsClaim ?? 'groups';
    this.rules = config.rules.map((r) => ({
      effect: r.effect,
      tools: (r.tools ?? []).map(globRegExp),
      resources: (r.resources ?? []).map(globRegExp),
      when: r.when ?? {},
    }));
  }

  /** May `principal` call tool `name`? */
  tool(principal: Principal, name: string): PolicyDecision {
    return this.decide(principal, 'tools', name, undefined);
  }

  /**
   * May `principal` read resource `name` (a template's name, `health`)? Rules naming the resource
   * decide; when none does, `viaTool` (the tool the resource reads through) decides, else `default`.
   */
  resource(principal: Principal, name: string, viaTool?: string): PolicyDecision {
    return this.decide(principal, 'resources', name, viaTool);
  }

  private decide(
    principal: Principal,
    kind: Kind,
    name: string,
    viaTool: string | undefined,
  ): PolicyDecision {
    if (principal.kind === 'operator' && principal.id === 'operator') return ALLOWED;
    // Resource decisions share the memo under a key no tool name has (names never hold NUL).
    const memoKey = kind === 'tools' ? name : `\0${name}\0${viaTool ?? ''}`;
    let byTarget = this.memo.get(principal);
    const known = byTarget?.get(memoKey);
    if (known) return known;
    const decision = this.evaluate(principal, kind, name, viaTool) ?? this.tool(principal, viaTool as string);
    if (!byTarget) {
      byTarget = new Map();
      this.memo.set(principal, byTarget);
    }
    byTarget.set(memoKey, decision);
    return decision;
  }

  /**
   * True when every caller may call tool `name` (`kind` tools) or read resource `name` through
   * `viaTool` (`kind` resources): no rule naming it could refuse anyone. An answer only some callers
   * may see must not be offered to shared caches, which would hand it to the others.
   */
  openToAll(kind: Kind, name: string, viaTool?: string): boolean {
    const own = this.rulesOpenToAll(kind, name);
    // A read runs its tool, so the tool's rules apply to it too; resource rules only narrow.
    if (kind === 'resources' && viaTool !== undefined)
      return (own ?? true) && this.openToAll('tools', viaTool);
    return own ?? this.config.default === 'allow';
  }

  /** Whether the rules naming `name` admit every caller; undefined when none names it. */
  private rulesOpenToAll(kind: Kind, name: string): boolean | undefined {
    let named = false;
    let openAllow = false;
    for (const rule of this.rules) {
      if (!rule[kind].some((re) => re.test(name))) continue;
      // A deny rule may hold for some caller (one with no condition, for all of them).
      if (rule.effect === 'deny') return false;
      named = true;
      if (isEveryone(rule.when)) openAllow = true;
    }
    return named ? openAllow : undefined;
  }

  /** Throws `PolicyDeniedError` unless `principal` may call tool `name`. */
  assertTool(principal: Principal, name: string): void {
    const d = this.tool(principal, name);
    if (!d.allowed) throw new PolicyDeniedError('tool', name, principal, d.neededScopes);
  }

  /** Throws `PolicyDeniedError` unless `principal` may read resource `name`. */
  assertResource(principal: Principal, name: string, viaTool?: string): void {
    const d = this.resource(principal, name, viaTool);
    if (!d.allowed) throw new PolicyDeniedError('resource', name, principal, d.neededScopes);
  }

  /** The rules' decision; undefined for a resource of `viaTool` that no rule names (its tool decides). */
  private evaluate(
    principal: Principal,
    kind: Kind,
    target: string,
    viaTool?: string,
  ): PolicyDecision | undefined {
    let allowed = false;
    let named = false;
    let mentioned = false;
    const needed = new Set<string>();
    for (const rule of this.rules) {
      if (!rule[kind].some((re) => re.test(target))) continue;
      mentioned = true;
      const holds = this.holds(rule.when, principal);
      if (rule.effect === 'deny' && holds) return { allowed: false, neededScopes: [] };
      if (rule.effect === 'allow') {
        named = true;
        if (holds) allowed = true;
        else for (const s of rule.when.scopes ?? []) if (!principal.scopes.includes(s)) needed.add(s);
      }
    }
    if (!mentioned && viaTool !== undefined) return undefined;
    // Under `default: allow`, a target an allow rule names is kept to the callers that rule admits.
    if (allowed || (!named && this.config.default === 'allow')) return ALLOWED;
    return { allowed: false, neededScopes: [...needed] };
  }

  private holds(when: PolicyCondition, p: Principal): boolean {
    if (when.scopes && !when.scopes.every((s) => p.scopes.includes(s))) return false;
    if (when.subjects && (p.sub === undefined || !when.subjects.includes(p.sub))) return false;
    if (when.clients && (p.clientId === undefined || !when.clients.includes(p.clientId))) return false;
    if (when.groups) {
      const groups = listOf(p.claims[this.groupsClaim]);
      if (!when.groups.some((g) => groups.includes(g))) return false;
    }
    if (when.claims)
      for (const [name, wanted] of Object.entries(when.claims)) {
        const have = listOf(p.claims[name]);
        const options = (Array.isArray(wanted) ? wanted : [wanted]).map(String);
        if (!have.some((v) => options.includes(v))) return false;
      }
    return true;
  }
}

/** A condition every caller meets: none of its lists given. */
function isEveryone(when: PolicyCondition): boolean {
  return (
    when.scopes === undefined &&
    when.claims === undefined &&
    when.groups === undefined &&
    when.subjects === undefined &&
    when.clients === undefined
  );
}

function listOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((s) => s.length > 0);
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  return [];
}
