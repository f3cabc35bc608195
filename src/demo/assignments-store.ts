import { createHash } from 'node:crypto';
import type { Clock } from '../core/index.js';
import { ASSIGNMENT_STATUSES, type Assignment, type AssignmentStatus } from './assignments-data.js';
import { type Answer, HttpProblem, intParam, objectBody } from './demo-http.js';
import type { StatsRecorder } from './upstream-stats.js';

const UPDATABLE = ['title', 'status', 'dueDate'] as const;
const CREATABLE = ['userId', 'title', 'status', 'dueDate'] as const;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The demo's assignments in memory: list, get, create (Idempotency-Key honoured), update, delete. */
export class AssignmentsStore {
  private data = new Map<string, Assignment>();
  private nextId = 1;
  private readonly idempotency = new Map<string, { fingerprint: string; answer: Answer }>();

  constructor(
    private readonly seed: readonly Assignment[],
    private readonly clock: Clock,
    private readonly stats: StatsRecorder,
  ) {
    this.load();
  }

  /** Restores the seed data and forgets idempotency keys. */
  load(): void {
    this.data = new Map(this.seed.map((a) => [a.id, { ...a }]));
    this.nextId = 1 + Math.max(0, ...this.seed.map((a) => Number(a.id.replace(/\D/g, '')) || 0));
    this.idempotency.clear();
  }

  all(): Assignment[] {
    return [...this.data.values()].map((a) => ({ ...a }));
  }

  /** One page (`page`, `page_size`) of the assignments, optionally of one user and one status. */
  list(url: URL, userId: string | undefined) {
    const page = intParam(url, 'page', 1, 1, 1_000_000);
    const pageSize = intParam(url, 'page_size', 10, 1, 100);
    const status = url.searchParams.get('status');
    if (status !== null && !ASSIGNMENT_STATUSES.includes(status as AssignmentStatus))
      throw new HttpProblem(400, 'invalid_query', `status must be one of ${ASSIGNMENT_STATUSES.join(', ')}`);
    const filterUser = userId ?? url.searchParams.get('userId') ?? undefined;
    const all = [...this.data.values()]
      .filter(
        (a) =>
          (filterUser === undefined || a.userId === filterUser) && (status === null || a.status === status),
      )
      .sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)) || a.id.localeCompare(b.id));
    const items = all.slice((page - 1) * pageSize, page * pageSize);
    return {
      items,
      page,
      page_size: pageSize,
      total: all.length,
      total_pages: Math.ceil(all.length / pageSize),
    };
  }

  find(id: string): Assignment {
    const found = this.data.get(id);
    if (!found) throw new HttpProblem(404, 'not_found', `no assignment with id ${id}`);
    return found;
  }

  remove(id: string): void {
    this.find(id);
    this.data.delete(id);
  }

  /** Creates one; the same Idempotency-Key with the same request replays the first answer. */
  create(key: string | undefined, body: unknown, pathUserId: string | undefined): Answer {
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([pathUserId, body]))
      .digest('hex');
    const previous = key === undefined ? undefined : this.idempotency.get(key);
    if (previous) {
      if (previous.fingerprint !== fingerprint)
        throw new HttpProblem(
          422,
          'idempotency_key_reused',
          'this Idempotency-Key was used with a different request',
        );
      this.stats.current.idempotentReplays++;
      return { ...previous.answer, headers: { 'idempotent-replayed': 'true' } };
    }
    const input = objectBody(body, pathUserId ? CREATABLE.filter((k) => k !== 'userId') : CREATABLE);
    const userId = pathUserId ?? input.userId;
    if (typeof userId !== 'string' || userId === '')
      throw new HttpProblem(400, 'invalid_body', 'userId is required');
    if (typeof input.title !== 'string' || input.title.trim() === '')
      throw new HttpProblem(400, 'invalid_body', 'title is required (a non-empty string)');
    checkFields(input);
    const stamp = this.now();
    const created: Assignment = {
      id: `a${this.nextId++}`,
      userId,
      title: input.title,
      status: (input.status as AssignmentStatus | undefined) ?? 'todo',
      dueDate: (input.dueDate as string | undefined) ?? stamp.slice(0, 10),
      createdAt: stamp,
      updatedAt: stamp,
      version: 1,
    };
    this.data.set(created.id, created);
    this.stats.current.created++;
    if (key !== undefined) this.idempotency.set(key, { fingerprint, answer: { status: 201, body: created } });
    return { status: 201, body: created, headers: { location: `/assignments/${created.id}` } };
  }

  update(id: string, body: unknown): Assignment {
    const current = this.find(id);
    const input = objectBody(body, UPDATABLE);
    checkFields(input);
    if (input.title !== undefined && (typeof input.title !== 'string' || input.title.trim() === ''))
      throw new HttpProblem(400, 'invalid_body', 'title must be a non-empty string');
    const next: Assignment = {
      ...current,
      ...(input as Partial<Assignment>),
      updatedAt: this.now(),
      version: current.version + 1,
    };
    this.data.set(id, next);
    this.stats.current.updated++;
    return next;
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

function checkFields(input: Record<string, unknown>): void {
  if (input.status !== undefined && !ASSIGNMENT_STATUSES.includes(input.status as AssignmentStatus))
    throw new HttpProblem(400, 'invalid_body', `status must be one of ${ASSIGNMENT_STATUSES.join(', ')}`);
  if (input.dueDate !== undefined && !(typeof input.dueDate === 'string' && DATE.test(input.dueDate)))
    throw new HttpProblem(400, 'invalid_body', 'dueDate must be a date like 2026-03-01');
}
