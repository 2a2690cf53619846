package dev.rotakey.dashboard;

import io.dropwizard.views.common.View;

/** The dashboard's 404 page ({@code not-found.mustache}): what was looked for, and the way back to the overview. */
public final class NotFoundPage extends View {
    private final String css;
    private final String icon;
    private final String message;

    NotFoundPage(String css, String icon, String message) {
        super("not-found.mustache");
        this.css = css;
        this.icon = icon;
        this.message = message;
    }

    public String title() {
        return "Not found";
    }

    public String css() {
        return css;
    }

    public String icon() {
        return icon;
    }

    public String message() {
        return message;
    }
}
