// What a link drag says when it ends. Edgehandles asks whether the link may end on every
// component the pointer comes near (canvas.js, canConnect), including those it only passes
// on the way to its real target; saying "refused" then would contradict the link that gets
// made. So refusals are only noted during the drag, and one is said at the end, when no
// link was made and the pointer was released on the component that refused it.

export class LinkDragFeedback {
  constructor() {
    this.start();
  }

  /** A new drag: forget the last one. */
  start() {
    this.refusals = new Map();
    this.outcome = null;
  }

  /** The link may not end on `targetId`, because `problem`. */
  refused(targetId, problem) {
    this.refusals.set(targetId, problem);
  }

  /** The drag ended on `targetId` and the editor tried the link: `problem` is null when made. */
  completed(targetId, problem) {
    this.outcome = { targetId, problem };
  }

  /**
   * What to say once the drag stops: `{targetId, problem}`, or null. `releasedOn(ids)`
   * picks, among the refused components' ids, the one the pointer was released on.
   */
  finish(releasedOn) {
    const outcome = this.outcome;
    const refusals = this.refusals;
    this.start();
    if (outcome) return outcome.problem ? outcome : null;
    if (!refusals.size) return null;
    const id = releasedOn([...refusals.keys()]);
    return id === null ? null : { targetId: id, problem: refusals.get(id) };
  }
}

/**
 * The id of the box (`[{id, box: {x1, y1, x2, y2}}]`) the point is in or within `margin`
 * of, the nearest one when several are; null when none is.
 */
export function boxAt(boxes, point, margin = 0) {
  let best = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const { id, box } of boxes) {
    const dx = Math.max(box.x1 - point.x, 0, point.x - box.x2);
    const dy = Math.max(box.y1 - point.y, 0, point.y - box.y2);
    const distance = Math.hypot(dx, dy);
    if (distance <= margin && distance < bestDistance) {
      best = id;
      bestDistance = distance;
    }
  }
  return best;
}
