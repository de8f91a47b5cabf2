// Undo/redo over immutable snapshots: every change pushes the new document;
// undo and redo only move a cursor. Unlimited within the session.

export class History {
  constructor(initial) {
    this.states = [initial];
    this.index = 0;
  }

  get current() {
    return this.states[this.index];
  }

  get canUndo() {
    return this.index > 0;
  }

  get canRedo() {
    return this.index < this.states.length - 1;
  }

  /** Record a new state; anything that was undone is dropped. Same state twice is ignored. */
  push(state) {
    if (state === this.current) return false;
    this.states.length = this.index + 1;
    this.states.push(state);
    this.index += 1;
    return true;
  }

  /** Step back; returns the state to show, or null when there is nothing to undo. */
  undo() {
    if (!this.canUndo) return null;
    this.index -= 1;
    return this.current;
  }

  /** Step forward; returns the state to show, or null when there is nothing to redo. */
  redo() {
    if (!this.canRedo) return null;
    this.index += 1;
    return this.current;
  }

  /** Forget everything and start again from `state` (after loading another revision). */
  reset(state) {
    this.states = [state];
    this.index = 0;
  }
}
