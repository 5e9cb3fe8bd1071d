package dev.userpoll.examples;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** {@code --name value} (or {@code --name=value}) command-line options; anything unread is an error. */
public final class Options {
    private final Map<String, String> values = new HashMap<>();
    private final Set<String> read = new HashSet<>();

    public Options(String... args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || a.length() == 2) {
                throw new IllegalArgumentException("expected an option such as --port, got '" + a + "'");
            }
            int eq = a.indexOf('=');
            String name;
            String value;
            if (eq > 0) {
                name = a.substring(2, eq);
                value = a.substring(eq + 1);
            } else {
                if (i + 1 == args.length) {
                    throw new IllegalArgumentException("option " + a + " needs a value");
                }
                name = a.substring(2);
                value = args[++i];
            }
            if (values.put(name, value) != null) {
                throw new IllegalArgumentException("option --" + name + " given twice");
            }
        }
    }

    public String string(String name, String defaultValue) {
        read.add(name);
        return values.getOrDefault(name, defaultValue);
    }

    public long number(String name, long defaultValue, long min, long max) {
        String v = string(name, null);
        if (v == null) {
            return defaultValue;
        }
        long n;
        try {
            n = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " expects a whole number, got '" + v + "'");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("--" + name + " must be in [" + min + ", " + max + "], got " + n);
        }
        return n;
    }

    public int integer(String name, int defaultValue, int min, int max) {
        return (int) number(name, defaultValue, min, max);
    }

    /** Call after reading every option: an option nobody asked for is a typo. */
    public void checkAllRead() {
        for (String name : values.keySet()) {
            if (!read.contains(name)) {
                throw new IllegalArgumentException("unknown option --" + name);
            }
        }
    }
}
