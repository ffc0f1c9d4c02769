package dev.pestream.schemas.codec;

import java.util.HashSet;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro 1.12 refuses to instantiate classes it has not been told to trust (a defence against
 * gadget classes named in untrusted schemas). This registers exactly the generated classes that
 * a codec's schema names — records, enums and fixed types — and nothing else.
 */
final class TrustedRecordClasses {
  private static final Set<String> TRUSTED = new HashSet<>();

  private TrustedRecordClasses() {}

  static synchronized void trust(Schema schema, ClassLoader loader) {
    ClassSecurityValidator.Builder added = ClassSecurityValidator.builder();
    boolean any = collect(schema, loader, added, new HashSet<>());
    if (any) {
      ClassSecurityValidator.setGlobal(
          ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(), added.build()));
    }
  }

  private static boolean collect(
      Schema schema, ClassLoader loader, ClassSecurityValidator.Builder added, Set<String> seen) {
    boolean any = false;
    switch (schema.getType()) {
      case RECORD:
      case ENUM:
      case FIXED:
        if (!seen.add(schema.getFullName())) {
          return false;
        }
        String className = SpecificData.getClassName(schema);
        if (TRUSTED.add(className)) {
          try {
            added.add(Class.forName(className, false, loader));
            any = true;
          } catch (ClassNotFoundException e) {
            TRUSTED.remove(className); // a generic-only schema: nothing to trust
          }
        }
        if (schema.getType() == Schema.Type.RECORD) {
          for (Schema.Field field : schema.getFields()) {
            any |= collect(field.schema(), loader, added, seen);
          }
        }
        return any;
      case UNION:
        for (Schema branch : schema.getTypes()) {
          any |= collect(branch, loader, added, seen);
        }
        return any;
      case ARRAY:
        return collect(schema.getElementType(), loader, added, seen);
      case MAP:
        return collect(schema.getValueType(), loader, added, seen);
      default:
        return false;
    }
  }
}
