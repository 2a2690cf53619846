package dev.rotakey.targets;

/** A binding parameter is missing or invalid; refused when the credential is created. */
public class InvalidBindingException extends RuntimeException {
    private final String parameter;

    public InvalidBindingException(String parameter, String problem) {
        super(parameter + " " + problem);
        this.parameter = parameter;
    }

    /** The offending binding parameter. */
    public String parameter() {
        return parameter;
    }
}
