package dev.rotakey.dashboard;

import io.dropwizard.views.common.View;

import java.util.List;

/**
 * A credential's page ({@code credential.mustache}): its agent and owner, type, targets, rotation policy, versions
 * with their states and dates, its latest rotations and its audit story, oldest first. Holds no secret: the views it is
 * built from have none.
 */
public final class CredentialPage extends View {
    /** A label and its value, for the facts table. */
    public record Fact(String name, String value) {
    }

    /** A target binding: the target's name and its parameters. */
    public record Binding(String target, String params) {
    }

    /** A version. */
    public record Version(int version, String state, String kind, String created, String promoted, String revokeAfter,
                          String revoked, String detail) {
    }

    /** A rotation. */
    public record Rotation(String id, String state, String kind, String trigger, String actor, int version, String step,
                           int attempts, String started, String finished, String error) {
    }

    /** An audit event. */
    public record Event(long id, String at, String actor, String action, String outcome, String kind, String details) {
    }

    private final String css;
    private final String icon;
    private final String id;
    private final String status;
    private final List<Fact> facts;
    private final List<Binding> targets;
    private final List<Version> versions;
    private final List<Rotation> rotations;
    private final List<Event> events;
    private final String earlierEvents;

    CredentialPage(String css, String icon, String id, String status, List<Fact> facts, List<Binding> targets,
                   List<Version> versions, List<Rotation> rotations, List<Event> events, String earlierEvents) {
        super("credential.mustache");
        this.css = css;
        this.icon = icon;
        this.id = id;
        this.status = status;
        this.facts = facts;
        this.targets = targets;
        this.versions = versions;
        this.rotations = rotations;
        this.events = events;
        this.earlierEvents = earlierEvents;
    }

    public String title() {
        return "Credential " + id;
    }

    public String css() {
        return css;
    }

    public String icon() {
        return icon;
    }

    public String id() {
        return id;
    }

    public String status() {
        return status;
    }

    public List<Fact> facts() {
        return facts;
    }

    public List<Binding> targets() {
        return targets;
    }

    public List<Version> versions() {
        return versions;
    }

    public List<Rotation> rotations() {
        return rotations;
    }

    public List<Event> events() {
        return events;
    }

    public String earlierEvents() {
        return earlierEvents;
    }
}
