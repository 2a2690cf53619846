package dev.rotakey.alert.sink;

import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.rotakey.config.HttpsUrlPolicy;
import io.dropwizard.validation.selfvalidating.ViolationCollector;

/**
 * What every HTTP alert sink's configuration has beyond {@link RemoteSinkFactory}'s timeout and TLS:
 * a {@link JsonPoster} built from them, and the URL rule of {@link HttpsUrlPolicy}.
 */
public abstract class HttpSinkFactory extends RemoteSinkFactory {

    /** The HTTP client of the sink named {@code name}, with this configuration's timeout and TLS. */
    JsonPoster poster(String name) {
        return new JsonPoster(type() + " sink '" + name + "'", getTimeout(), sslContext(name));
    }

    /** The configured type: the subclass's {@code @JsonTypeName}, so that messages and config cannot disagree. */
    final String type() {
        return getClass().getAnnotation(JsonTypeName.class).value();
    }

    /** Why {@code value} is not an acceptable sink URL, or null (see {@link HttpsUrlPolicy}). */
    static String urlProblem(String value, boolean allowHttp) {
        return HttpsUrlPolicy.problem(value, allowHttp, "alerts");
    }

    /** Adds a violation on {@code property} when {@code value} is set and not an acceptable sink URL. */
    static void checkUrl(ViolationCollector violations, String property, String value, boolean allowHttp) {
        HttpsUrlPolicy.check(violations, property, value, allowHttp, "alerts");
    }
}
