// Cross-check of Gatehouse's hessian2 codec against Caucho's reference implementation (Debian's libhessian-java).
//   java -cp /usr/share/java/hessian.jar HessianCheck.java decode FILE   FILE: name<TAB>base64 lines
//   java -cp /usr/share/java/hessian.jar HessianCheck.java encode        prints name<TAB>base64 lines
// (with --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/java.util=ALL-UNNAMED on Java 17 and later)
// decode prints name<TAB>canonical JSON lines: dates {"$date": ms}, binary {"$bin": base64}, objects as maps.
import com.caucho.hessian.io.Hessian2Input;
import com.caucho.hessian.io.Hessian2Output;
import com.caucho.hessian.io.SerializerFactory;
import java.io.*;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;

public class HessianCheck {
    public static class Person implements Serializable {
        public String name;
        public int age;
        public Person friend;
        public List<String> tags;
        public Person() {}
        Person(String name, int age, Person friend, List<String> tags) { this.name = name; this.age = age; this.friend = friend; this.tags = tags; }
    }

    public static void main(String[] args) throws Exception {
        java.util.logging.LogManager.getLogManager().reset();
        if (args[0].equals("decode")) decode(Paths.get(args[1])); else encode();
    }

    static void decode(Path file) throws Exception {
        StringBuilder out = new StringBuilder();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isEmpty()) continue;
            int tab = line.indexOf('\t');
            String name = line.substring(0, tab);
            byte[] bytes = Base64.getDecoder().decode(line.substring(tab + 1));
            try {
                Hessian2Input in = new Hessian2Input(new ByteArrayInputStream(bytes));
                Object value = in.readObject();
                out.append(name).append('\t').append(json(value, new IdentityHashMap<>())).append('\n');
            } catch (Throwable e) {
                out.append(name).append('\t').append("{\"$error\":").append(quote(String.valueOf(e))).append("}\n");
            }
        }
        print(out);
    }

    static void print(CharSequence text) {
        // UTF-8 whatever the platform charset: strings with non-ASCII characters must survive the pipe.
        PrintStream stdout = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        stdout.print(text);
        stdout.flush();
    }

    static void encode() throws Exception {
        Map<String, Object> corpus = new LinkedHashMap<>();
        corpus.put("int", 300000);
        corpus.put("long", 1L << 40);
        corpus.put("double", 3.25);
        corpus.put("double_thousandths", 0.001);
        corpus.put("string_non_bmp", "a\uD83D\uDE00b");
        corpus.put("string_chunked", "x".repeat(70000));
        corpus.put("binary", new byte[] { 0, 1, (byte) 255 });
        corpus.put("date", new Date(1704164645678L));
        corpus.put("list", new ArrayList<>(Arrays.asList(1, "two", null, true)));
        corpus.put("int_array", new int[] { 1, 2, 3 });
        Map<String, Object> map = new HashMap<>();
        map.put("k", "v");
        corpus.put("map", map);
        Person bob = new Person("Bob", 31, null, null);
        corpus.put("object", new Person("Ann", 30, bob, new ArrayList<>(Arrays.asList("a", "b"))));
        corpus.put("shared", new ArrayList<>(Arrays.asList(bob, bob)));
        corpus.put("exception", new IllegalStateException("boom"));
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, Object> entry : corpus.entrySet()) {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            Hessian2Output output = new Hessian2Output(buffer);
            SerializerFactory factory = new SerializerFactory();
            factory.setAllowNonSerializable(true);
            output.setSerializerFactory(factory);
            output.writeObject(entry.getValue());
            output.flush();
            out.append(entry.getKey()).append('\t').append(Base64.getEncoder().encodeToString(buffer.toByteArray())).append('\n');
        }
        print(out);
    }

    static String json(Object value, IdentityHashMap<Object, Boolean> seen) throws Exception {
        if (value == null) return "null";
        if (value instanceof String s) return quote(s);
        if (value instanceof Boolean || value instanceof Integer || value instanceof Long) return value.toString();
        if (value instanceof Double d) return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString(d.longValue()) : d.toString();
        if (value instanceof byte[] b) return "{\"$bin\":" + quote(Base64.getEncoder().encodeToString(b)) + "}";
        if (value instanceof Date d) return "{\"$date\":" + d.getTime() + "}";
        if (value instanceof Map<?, ?> m) {
            StringBuilder sb = new StringBuilder("{");
            for (Map.Entry<?, ?> e : new TreeMap<>(stringKeys(m)).entrySet()) {
                if (sb.length() > 1) sb.append(',');
                sb.append(quote(e.getKey().toString())).append(':').append(json(e.getValue(), seen));
            }
            return sb.append('}').toString();
        }
        if (value instanceof Collection<?> c) {
            StringBuilder sb = new StringBuilder("[");
            for (Object item : c) { if (sb.length() > 1) sb.append(','); sb.append(json(item, seen)); }
            return sb.append(']').toString();
        }
        if (value.getClass().isArray()) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < Array.getLength(value); i++) { if (i > 0) sb.append(','); sb.append(json(Array.get(value, i), seen)); }
            return sb.append(']').toString();
        }
        // An object of a known class: its fields, with the class name.
        Map<String, Object> fields = new TreeMap<>();
        fields.put("$class", value.getClass().getName());
        for (Field f : value.getClass().getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers())) continue;
            fields.put(f.getName(), f.get(value));
        }
        return json(fields, seen);
    }

    static Map<String, Object> stringKeys(Map<?, ?> m) {
        Map<String, Object> result = new HashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) result.put(String.valueOf(e.getKey()), e.getValue());
        return result;
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }
}
