package throttle

import "time"

// Hold says what keeps requests from leaving right now, for a progress
// display that must say why it waits and for how long.
type Hold struct {
	// Until is the instant requests may leave again; zero when they may
	// leave now (subject to the token bucket).
	Until time.Time
	// Window is true when the server's window budget is spent (the wait
	// runs to its X-RateLimit-Reset), false for a pause after a 429.
	Window bool
	// Asked is, for a 429, how long the API asked to wait when the pause
	// was set (its Retry-After, or its X-RateLimit-Reset).
	Asked time.Duration
}

// Hold reports what holds requests back now (see Hold).
func (l *Limiter) Hold() Hold {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	until, blocked := l.gateLocked(now)
	if !blocked {
		return Hold{}
	}
	if now.Before(l.pause) {
		return Hold{Until: until, Asked: l.asked}
	}
	return Hold{Until: until, Window: true}
}
