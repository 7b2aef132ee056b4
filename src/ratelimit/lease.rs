//! The lease rule, as pure functions: a node takes a chunk of a window's
//! allowance from the shared counter, spends it locally, and asks again
//! only when it has spent it all.

/// A node asks for a tenth of the limit at a time: ten store trips per
/// window at most while the key is busy, and at most a tenth of the limit
/// per other node left unspent when the counter runs out.
const CHUNK_DIVISOR: i64 = 10;
/// Chunks never grow past this, so a huge limit still spreads over nodes.
const MAX_CHUNK: i64 = 1000;

/// The fixed window `now` falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: i64,
    pub end: i64,
}

impl Window {
    pub fn of(now: i64, secs: u32) -> Self {
        let secs = i64::from(secs.max(1));
        let start = now - now.rem_euclid(secs);
        Self {
            start,
            end: start + secs,
        }
    }
}

/// How much allowance one trip to the shared counter asks for.
pub fn chunk_for(limit: i64) -> i64 {
    (limit / CHUNK_DIVISOR).clamp(1, MAX_CHUNK)
}

/// What a node got from the counter, which it raised by `chunk` to `used`:
/// the counter stood at `used - chunk` before, and everything below the
/// limit is the node's. Increments are atomic, so two nodes never both get
/// the same unit, and the counter may overshoot the limit harmlessly.
pub fn granted(limit: i64, chunk: i64, used: i64) -> i64 {
    (limit - (used - chunk)).clamp(0, chunk)
}

/// What a node holds of one key's current window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lease {
    window: Option<Window>,
    remaining: i64,
    /// The counter gave nothing this window: refuse without asking again.
    exhausted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Local {
    Admitted,
    /// The window's allowance is spent across the nodes.
    Exhausted,
    /// Nothing left locally: ask the shared counter.
    NeedsRefill,
}

impl Lease {
    /// Spends one request of the local allowance for `window`. Allowance
    /// left from an earlier window is dropped, never carried over.
    pub fn take(&mut self, window: Window) -> Local {
        if self.window != Some(window) {
            *self = Lease {
                window: Some(window),
                ..Lease::default()
            };
        }
        if self.remaining > 0 {
            self.remaining -= 1;
            Local::Admitted
        } else if self.exhausted {
            Local::Exhausted
        } else {
            Local::NeedsRefill
        }
    }

    /// Records what the counter granted for `window` and spends one of it;
    /// false when it granted nothing.
    pub fn refill(&mut self, window: Window, granted: i64) -> bool {
        self.window = Some(window);
        if granted <= 0 {
            self.remaining = 0;
            self.exhausted = true;
            return false;
        }
        self.remaining = granted - 1;
        self.exhausted = false;
        true
    }

    /// Whether the lease still matters at `now` (its window is not over).
    pub fn is_current(&self, now: i64) -> bool {
        self.window.is_some_and(|w| w.end > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_fixed_and_aligned() {
        assert_eq!(
            Window::of(125, 60),
            Window {
                start: 120,
                end: 180
            }
        );
        assert_eq!(
            Window::of(120, 60),
            Window {
                start: 120,
                end: 180
            }
        );
        assert_eq!(Window::of(7, 1), Window { start: 7, end: 8 });
    }

    #[test]
    fn chunks_are_a_tenth_of_the_limit_within_bounds() {
        assert_eq!(chunk_for(5), 1);
        assert_eq!(chunk_for(100), 10);
        assert_eq!(chunk_for(1_000_000), 1000);
    }

    #[test]
    fn grants_never_sum_past_the_limit() {
        // Three nodes asking for chunks of 4 of a limit of 10, in turn.
        let (limit, chunk) = (10, 4);
        let mut used = 0;
        let mut total = 0;
        for _ in 0..6 {
            used += chunk;
            total += granted(limit, chunk, used);
        }
        assert_eq!(total, limit);
        assert_eq!(granted(limit, chunk, 12), 2, "the partial last chunk");
        assert_eq!(granted(limit, chunk, 16), 0);
    }

    #[test]
    fn a_lease_spends_locally_and_forgets_an_old_window() {
        let first = Window::of(0, 60);
        let mut lease = Lease::default();
        assert_eq!(lease.take(first), Local::NeedsRefill);
        assert!(lease.refill(first, 3));
        assert_eq!(lease.take(first), Local::Admitted);
        assert_eq!(lease.take(first), Local::Admitted);
        assert_eq!(lease.take(first), Local::NeedsRefill);
        assert!(!lease.refill(first, 0));
        assert_eq!(lease.take(first), Local::Exhausted);
        assert!(lease.is_current(59));
        assert!(!lease.is_current(60));
        let next = Window::of(60, 60);
        assert_eq!(
            lease.take(next),
            Local::NeedsRefill,
            "a new window asks again"
        );
    }
}
