// The statuses `flywheel applications list --status` offers, apart from the queue's code so the
// command line can list them in its help without loading the database models.
export const LIST_STATUSES = ['pending', 'needs-info', 'overdue', 'awarded', 'declined'] as const;
export type ListStatus = (typeof LIST_STATUSES)[number];
