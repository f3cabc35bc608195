/** One assignment of the demo "assignments" service. */
export interface Assignment {
  id: string;
  userId: string;
  title: string;
  status: AssignmentStatus;
  /** `YYYY-MM-DD`. */
  dueDate: string;
  createdAt: string;
  updatedAt: string;
  /** Grows by one on every update. */
  version: number;
}

export type AssignmentStatus = 'todo' | 'in_progress' | 'done';
export const ASSIGNMENT_STATUSES: readonly AssignmentStatus[] = ['todo', 'in_progress', 'done'];

const TITLES = [
  'Read chapter 3',
  'Lab report: titration',
  'Essay draft: the water cycle',
  'Problem set 4',
  'Vocabulary quiz prep',
  'History timeline poster',
  'Peer review of essay',
  'Geometry worksheet',
  'Reading log, week 2',
  'Science fair proposal',
  'Book report outline',
  'Map of the river basin',
];

/** Twelve assignments for users u1, u2 and u3 (four each), fixed so tests and the demo can name them. */
export function seedAssignments(): Assignment[] {
  return TITLES.map((title, i) => {
    const day = String(i + 1).padStart(2, '0');
    const stamp = `2026-01-${day}T09:00:00.000Z`;
    return {
      id: `a${i + 1}`,
      userId: `u${(i % 3) + 1}`,
      title,
      status: ASSIGNMENT_STATUSES[i % 3]!,
      dueDate: `2026-02-${day}`,
      createdAt: stamp,
      updatedAt: stamp,
      version: 1,
    };
  });
}
