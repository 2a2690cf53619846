package dev.rotakey.backend.pkcs11;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A PKCS#11 module seen through the JDK's internal wrapper ({@code sun.security.pkcs11.wrapper}),
 * used only to list tokens by label: SunPKCS11 can select a slot by id or index but not by label,
 * and SoftHSM's slot ids are random.
 *
 * <p>The wrapper is reached by reflection because {@code javac --release 17} refuses
 * {@code --add-exports} for system modules; at run time the package must be exported with
 * {@value #ADD_EXPORTS} (the surefire {@code argLine} and the jar's {@code Add-Exports} entry do).
 */
final class Pkcs11Module {
    static final String ADD_EXPORTS = "--add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED";

    static final long CKF_LOGIN_REQUIRED = 0x4L;
    static final long CKF_TOKEN_INITIALIZED = 0x400L;
    static final long CKF_USER_PIN_COUNT_LOW = 0x10000L;
    static final long CKF_USER_PIN_FINAL_TRY = 0x20000L;
    static final long CKF_USER_PIN_LOCKED = 0x40000L;

    private static final String WRAPPER = "sun.security.pkcs11.wrapper.";
    private static final long CKF_OS_LOCKING_OK = 0x2L;
    private static final long CKR_ARGUMENTS_BAD = 0x7L;

    /** A slot holding a token: {@code slotListIndex} indexes {@code C_GetSlotList(false)}, as SunPKCS11's does. */
    record Token(long slotId, int slotListIndex, String label, long flags) {
        boolean has(long flag) {
            return (flags & flag) != 0;
        }
    }

    /** The module could not be loaded or asked; the message is safe to show. */
    static final class Pkcs11ModuleException extends Exception {
        Pkcs11ModuleException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final String library;
    private final Object pkcs11;
    private final Method getSlotList;
    private final Method getTokenInfo;
    private final Field labelField;
    private final Field flagsField;

    private Pkcs11Module(String library, Object pkcs11, Class<?> pkcs11Class, Class<?> tokenInfoClass)
            throws ReflectiveOperationException {
        this.library = library;
        this.pkcs11 = pkcs11;
        this.getSlotList = pkcs11Class.getMethod("C_GetSlotList", boolean.class);
        this.getTokenInfo = pkcs11Class.getMethod("C_GetTokenInfo", long.class);
        this.labelField = tokenInfoClass.getField("label");
        this.flagsField = tokenInfoClass.getField("flags");
    }

    /**
     * Loads and initialises {@code library}, or returns the JVM's existing handle on it. The wrapper
     * keeps one instance per library path for the JVM's lifetime and never calls C_Finalize, and
     * SunPKCS11 providers configured with the same path share it; the initialisation flags mirror
     * SunPKCS11's so the shared instance is the multi-threaded one it would have created.
     */
    static Pkcs11Module open(String library) throws Pkcs11ModuleException {
        Class<?> pkcs11Class;
        Class<?> initArgsClass;
        Class<?> tokenInfoClass;
        try {
            pkcs11Class = Class.forName(WRAPPER + "PKCS11");
            initArgsClass = Class.forName(WRAPPER + "CK_C_INITIALIZE_ARGS");
            tokenInfoClass = Class.forName(WRAPPER + "CK_TOKEN_INFO");
        } catch (ClassNotFoundException e) {
            throw new Pkcs11ModuleException("the JDK module jdk.crypto.cryptoki (SunPKCS11) is not present"
                    + " in this Java runtime", e);
        }
        try {
            Method getInstance = pkcs11Class.getMethod("getInstance", String.class, String.class,
                    initArgsClass, boolean.class);
            Object pkcs11;
            try {
                pkcs11 = getInstance.invoke(null, library, "C_GetFunctionList",
                        initArgs(initArgsClass, CKF_OS_LOCKING_OK), false);
            } catch (InvocationTargetException e) {
                if (errorCode(e.getCause()) != CKR_ARGUMENTS_BAD) {
                    throw e;
                }
                // A module without OS locking support: the same single-threaded fallback SunPKCS11 takes.
                pkcs11 = getInstance.invoke(null, library, "C_GetFunctionList", initArgs(initArgsClass, 0L), false);
            }
            return new Pkcs11Module(library, pkcs11, pkcs11Class, tokenInfoClass);
        } catch (IllegalAccessException e) {
            throw new Pkcs11ModuleException("cannot reach the JDK's PKCS#11 wrapper to find tokens by label:"
                    + " start Java with " + ADD_EXPORTS, e);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            String what = cause instanceof IOException
                    ? "cannot load PKCS#11 library " + library + " (" + cause.getMessage() + ")"
                    : "cannot initialise PKCS#11 library " + library + " (" + describe(cause) + ")";
            throw new Pkcs11ModuleException(what, cause);
        } catch (ReflectiveOperationException e) {
            throw new Pkcs11ModuleException("this Java runtime's PKCS#11 wrapper is not the expected one ("
                    + e.getClass().getSimpleName() + ")", e);
        }
    }

    private static Object initArgs(Class<?> initArgsClass, long flags) throws ReflectiveOperationException {
        Object args = initArgsClass.getConstructor().newInstance();
        initArgsClass.getField("flags").setLong(args, flags);
        return args;
    }

    /** The wrapper's {@code PKCS11} instance of this module, for {@link Pkcs11Calls}. */
    Object wrapper() {
        return pkcs11;
    }

    /** The initialised tokens and their labels, in slot list order. */
    List<Token> tokens() throws Pkcs11ModuleException {
        try {
            long[] all = (long[]) getSlotList.invoke(pkcs11, false);
            Set<Long> present = new HashSet<>();
            for (long slot : (long[]) getSlotList.invoke(pkcs11, true)) {
                present.add(slot);
            }
            List<Token> tokens = new ArrayList<>();
            for (int i = 0; i < all.length; i++) {
                if (!present.contains(all[i])) {
                    continue;
                }
                Object info;
                try {
                    info = getTokenInfo.invoke(pkcs11, all[i]);
                } catch (InvocationTargetException e) {
                    // A token pulled out between the two calls is simply not there any more.
                    continue;
                }
                tokens.add(new Token(all[i], i, label((char[]) labelField.get(info)), flagsField.getLong(info)));
            }
            return tokens;
        } catch (InvocationTargetException e) {
            throw new Pkcs11ModuleException("cannot list the slots of PKCS#11 library " + library + " ("
                    + describe(e.getCause()) + ")", e.getCause());
        } catch (IllegalAccessException e) {
            throw new Pkcs11ModuleException("cannot reach the JDK's PKCS#11 wrapper: start Java with " + ADD_EXPORTS, e);
        }
    }

    Optional<Token> find(String tokenLabel) throws Pkcs11ModuleException {
        return tokens().stream().filter(t -> t.label().equals(tokenLabel)).findFirst();
    }

    /**
     * The wrapper copies each byte of the blank-padded CK_UTF8CHAR[32] label into one char, without
     * decoding: undo that, decode UTF-8, and drop the padding.
     */
    static String label(char[] raw) {
        byte[] bytes = new byte[raw.length];
        for (int i = 0; i < raw.length; i++) {
            bytes[i] = (byte) raw[i];
        }
        int end = bytes.length;
        while (end > 0 && (bytes[end - 1] == ' ' || bytes[end - 1] == 0)) {
            end--;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }

    /** The CKR_ code of the first PKCS#11 exception in the chain, or -1. */
    static long errorCode(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c.getClass().getName().equals(WRAPPER + "PKCS11Exception")) {
                try {
                    return (long) c.getClass().getMethod("getErrorCode").invoke(c);
                } catch (ReflectiveOperationException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    /**
     * The name of the PKCS#11 return value in the chain ({@code CKR_PIN_INCORRECT}, …), found in
     * the exception's message so it works without the wrapper being exported; otherwise the
     * innermost cause's class and message. JDK messages carry no PINs or key material.
     */
    static String describe(Throwable t) {
        Throwable innermost = t;
        for (Throwable c = t; c != null; c = c.getCause()) {
            String message = c.getMessage();
            if (message != null) {
                int at = message.indexOf("CKR_");
                if (at >= 0) {
                    int end = at;
                    while (end < message.length()
                            && (Character.isLetterOrDigit(message.charAt(end)) || message.charAt(end) == '_')) {
                        end++;
                    }
                    return message.substring(at, end);
                }
            }
            innermost = c;
        }
        if (innermost == null) {
            return "unknown error";
        }
        return innermost.getMessage() == null
                ? innermost.getClass().getSimpleName()
                : innermost.getClass().getSimpleName() + ": " + innermost.getMessage();
    }
}
