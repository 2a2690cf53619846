package dev.rotakey.backend.pkcs11;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.security.GeneralSecurityException;

/**
 * The few PKCS#11 functions that SunPKCS11 has no public API for, called through the JDK's wrapper
 * ({@code sun.security.pkcs11.wrapper.PKCS11}) on the module instance SunPKCS11 itself uses, so sessions
 * opened here share the process's login. Reached through method handles, as {@link Pkcs11Module} reaches
 * the wrapper, because {@code javac --release 17} cannot compile against it.
 */
final class Pkcs11Calls {
    static final long CKF_SERIAL_SESSION = 0x4L;
    static final long CKO_SECRET_KEY = 0x4L;
    static final long CKA_CLASS = 0x0L;
    static final long CKA_TOKEN = 0x1L;
    static final long CKA_PRIVATE = 0x2L;
    static final long CKA_LABEL = 0x3L;
    static final long CKA_VALUE = 0x11L;
    static final long CKA_SENSITIVE = 0x103L;
    static final long CKA_EXTRACTABLE = 0x162L;
    static final long CKA_NEVER_EXTRACTABLE = 0x164L;
    static final long CKM_SHA256_HMAC = 0x251L;

    private static final String WRAPPER = "sun.security.pkcs11.wrapper.";

    private final Object pkcs11;
    private final Class<?> attributeClass;
    private final MethodHandle openSession;
    private final MethodHandle closeSession;
    private final MethodHandle findObjectsInit;
    private final MethodHandle findObjects;
    private final MethodHandle findObjectsFinal;
    private final MethodHandle copyObject;
    private final MethodHandle destroyObject;
    private final MethodHandle getAttributeValue;
    private final MethodHandle signInit;
    private final MethodHandle sign;
    private final MethodHandle booleanAttribute;
    private final MethodHandle longAttribute;
    private final MethodHandle objectAttribute;
    private final MethodHandle emptyAttribute;
    private final MethodHandle attributeValue;
    private final MethodHandle mechanism;

    /** @param pkcs11 the wrapper's {@code PKCS11} instance for the module ({@link Pkcs11Module#wrapper()}) */
    Pkcs11Calls(Object pkcs11) throws ReflectiveOperationException {
        this.pkcs11 = pkcs11;
        Class<?> p = pkcs11.getClass();
        attributeClass = Class.forName(WRAPPER + "CK_ATTRIBUTE");
        Class<?> attributes = attributeClass.arrayType();
        Class<?> mechanismClass = Class.forName(WRAPPER + "CK_MECHANISM");
        Class<?> notify = Class.forName(WRAPPER + "CK_NOTIFY");
        // This class's own lookup: the wrapper package is exported to the unnamed module only (--add-exports), which a
        // public lookup does not see.
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        // Every handle is adapted to Object for the wrapper's types, so that invokeExact can be called from here.
        openSession = erase(lookup.findVirtual(p, "C_OpenSession",
                MethodType.methodType(long.class, long.class, long.class, Object.class, notify)));
        closeSession = erase(lookup.findVirtual(p, "C_CloseSession", MethodType.methodType(void.class, long.class)));
        findObjectsInit = erase(lookup.findVirtual(p, "C_FindObjectsInit",
                MethodType.methodType(void.class, long.class, attributes)));
        findObjects = erase(lookup.findVirtual(p, "C_FindObjects",
                MethodType.methodType(long[].class, long.class, long.class)));
        findObjectsFinal = erase(lookup.findVirtual(p, "C_FindObjectsFinal", MethodType.methodType(void.class, long.class)));
        copyObject = erase(lookup.findVirtual(p, "C_CopyObject",
                MethodType.methodType(long.class, long.class, long.class, attributes)));
        destroyObject = erase(lookup.findVirtual(p, "C_DestroyObject",
                MethodType.methodType(void.class, long.class, long.class)));
        getAttributeValue = erase(lookup.findVirtual(p, "C_GetAttributeValue",
                MethodType.methodType(void.class, long.class, long.class, attributes)));
        signInit = erase(lookup.findVirtual(p, "C_SignInit",
                MethodType.methodType(void.class, long.class, mechanismClass, long.class)));
        sign = erase(lookup.findVirtual(p, "C_Sign", MethodType.methodType(byte[].class, long.class, byte[].class)));
        booleanAttribute = erase(lookup.findConstructor(attributeClass,
                MethodType.methodType(void.class, long.class, boolean.class)));
        longAttribute = erase(lookup.findConstructor(attributeClass,
                MethodType.methodType(void.class, long.class, long.class)));
        objectAttribute = erase(lookup.findConstructor(attributeClass,
                MethodType.methodType(void.class, long.class, Object.class)));
        emptyAttribute = erase(lookup.findConstructor(attributeClass, MethodType.methodType(void.class, long.class)));
        attributeValue = erase(lookup.findGetter(attributeClass, "pValue", Object.class));
        mechanism = erase(lookup.findConstructor(mechanismClass, MethodType.methodType(void.class, long.class)));
    }

    /** Replaces every parameter and return type that is one of the wrapper's classes (or an array of one) by Object. */
    private static MethodHandle erase(MethodHandle h) {
        MethodType t = h.type();
        for (int i = 0; i < t.parameterCount(); i++) {
            if (isWrapperType(t.parameterType(i))) {
                t = t.changeParameterType(i, Object.class);
            }
        }
        if (isWrapperType(t.returnType())) {
            t = t.changeReturnType(Object.class);
        }
        return h.asType(t);
    }

    private static boolean isWrapperType(Class<?> c) {
        Class<?> element = c.isArray() ? c.getComponentType() : c;
        return element.getName().startsWith(WRAPPER);
    }

    /** A read-only session: objects it creates are session objects, which a read-only session may make. */
    long openSession(long slotId) throws GeneralSecurityException {
        try {
            return (long) openSession.invokeExact(pkcs11, slotId, CKF_SERIAL_SESSION, (Object) null, (Object) null);
        } catch (Throwable t) {
            throw failed("C_OpenSession", t);
        }
    }

    void closeSession(long session) throws GeneralSecurityException {
        try {
            closeSession.invokeExact(pkcs11, session);
        } catch (Throwable t) {
            throw failed("C_CloseSession", t);
        }
    }

    /** The handles of the token's secret keys labelled {@code label}, at most {@code max} of them. */
    long[] findTokenSecretKeys(long session, String label, int max) throws GeneralSecurityException {
        Object template = attributes(attribute(CKA_CLASS, CKO_SECRET_KEY), attribute(CKA_TOKEN, true),
                attribute(CKA_LABEL, label));
        try {
            findObjectsInit.invokeExact(pkcs11, session, template);
        } catch (Throwable t) {
            throw failed("C_FindObjectsInit", t);
        }
        try {
            return (long[]) findObjects.invokeExact(pkcs11, session, (long) max);
        } catch (Throwable t) {
            throw failed("C_FindObjects", t);
        } finally {
            try {
                findObjectsFinal.invokeExact(pkcs11, session);
            } catch (Throwable t) {
                // The search is over either way; a failure here does not change what was found.
            }
        }
    }

    /**
     * A session-object copy of {@code object}, owned by {@code session}. Only CKA_TOKEN changes: the copy keeps
     * the original's CKA_SENSITIVE and CKA_EXTRACTABLE, which PKCS#11 lets a copy only tighten.
     */
    long copyAsSessionObject(long session, long object) throws GeneralSecurityException {
        try {
            return (long) copyObject.invokeExact(pkcs11, session, object, attributes(attribute(CKA_TOKEN, false)));
        } catch (Throwable t) {
            throw failed("C_CopyObject", t);
        }
    }

    void destroyObject(long session, long object) throws GeneralSecurityException {
        try {
            destroyObject.invokeExact(pkcs11, session, object);
        } catch (Throwable t) {
            throw failed("C_DestroyObject", t);
        }
    }

    /** A boolean attribute of an object, such as CKA_EXTRACTABLE. */
    boolean booleanAttribute(long session, long object, long type) throws GeneralSecurityException {
        Object template = attributes(emptyAttribute(type));
        try {
            getAttributeValue.invokeExact(pkcs11, session, object, template);
            return Boolean.TRUE.equals(attributeValue.invokeExact((Object) java.lang.reflect.Array.get(template, 0)));
        } catch (Throwable t) {
            throw failed("C_GetAttributeValue", t);
        }
    }

    /** An attribute's value as bytes; for a sensitive attribute the token refuses (CKR_ATTRIBUTE_SENSITIVE). */
    byte[] byteAttribute(long session, long object, long type) throws GeneralSecurityException {
        Object template = attributes(emptyAttribute(type));
        try {
            getAttributeValue.invokeExact(pkcs11, session, object, template);
            return (byte[]) (Object) attributeValue.invokeExact((Object) java.lang.reflect.Array.get(template, 0));
        } catch (Throwable t) {
            throw failed("C_GetAttributeValue", t);
        }
    }

    /** The mechanism object for {@link #signInit}; immutable once made, so one serves every thread. */
    Object mechanism(long type) {
        try {
            return (Object) mechanism.invokeExact(type);
        } catch (Throwable t) {
            throw new IllegalStateException("cannot make a CK_MECHANISM", t);
        }
    }

    void signInit(long session, Object mechanism, long key) throws GeneralSecurityException {
        try {
            signInit.invokeExact(pkcs11, session, mechanism, key);
        } catch (Throwable t) {
            throw failed("C_SignInit", t);
        }
    }

    byte[] sign(long session, byte[] data) throws GeneralSecurityException {
        try {
            return (byte[]) sign.invokeExact(pkcs11, session, data);
        } catch (Throwable t) {
            throw failed("C_Sign", t);
        }
    }

    private Object attribute(long type, boolean value) {
        try {
            return (Object) booleanAttribute.invokeExact(type, value);
        } catch (Throwable t) {
            throw new IllegalStateException("cannot make a CK_ATTRIBUTE", t);
        }
    }

    private Object attribute(long type, long value) {
        try {
            return (Object) longAttribute.invokeExact(type, value);
        } catch (Throwable t) {
            throw new IllegalStateException("cannot make a CK_ATTRIBUTE", t);
        }
    }

    private Object attribute(long type, String value) {
        try {
            return (Object) objectAttribute.invokeExact(type, (Object) value);
        } catch (Throwable t) {
            throw new IllegalStateException("cannot make a CK_ATTRIBUTE", t);
        }
    }

    private Object emptyAttribute(long type) {
        try {
            return (Object) emptyAttribute.invokeExact(type);
        } catch (Throwable t) {
            throw new IllegalStateException("cannot make a CK_ATTRIBUTE", t);
        }
    }

    private Object attributes(Object... items) {
        Object array = java.lang.reflect.Array.newInstance(attributeClass, items.length);
        for (int i = 0; i < items.length; i++) {
            java.lang.reflect.Array.set(array, i, items[i]);
        }
        return array;
    }

    /**
     * The wrapper's PKCS11Exception (whose message is the CKR_ name, which {@link Pkcs11Module#describe} finds)
     * as the cause of a checked exception; errors of the JVM itself pass through.
     */
    private static GeneralSecurityException failed(String function, Throwable t) {
        if (t instanceof Error e) {
            throw e;
        }
        return new GeneralSecurityException(function + " failed (" + Pkcs11Module.describe(t) + ")", t);
    }
}
