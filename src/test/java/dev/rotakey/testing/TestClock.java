package dev.rotakey.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The one clock tests move by hand, so that grace periods, backoff, token and certificate expiry
 * pass without waiting. It stands still until a test calls {@link #advance} or {@link #set}; it is
 * safe to read from other threads (a scheduler, a server under test) while the test moves it.
 */
public final class TestClock extends Clock {
    private volatile Instant now;

    public TestClock(Instant start) {
        this.now = start;
    }

    /** A clock standing at {@code instant}, e.g. {@code TestClock.at("2026-11-28T10:00:00Z")}. */
    public static TestClock at(String instant) {
        return new TestClock(Instant.parse(instant));
    }

    /** Moves the clock forward (or, with a negative duration, back) by {@code d}. */
    public void advance(Duration d) {
        now = now.plus(d);
    }

    public void set(Instant instant) {
        now = instant;
    }

    /** Always UTC, as the daemon runs. */
    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    /** The same moving clock: Rotakey keeps instants, so the zone never matters to what tests check. */
    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return now;
    }

    @Override
    public String toString() {
        return "TestClock[" + now + "]";
    }
}
