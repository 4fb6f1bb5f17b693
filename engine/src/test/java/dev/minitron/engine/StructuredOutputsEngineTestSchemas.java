package dev.minitron.engine;

import java.util.List;

/** The JSON Schemas of the structured-output proofs, shared by the engine test and the compiler's property test. */
public final class StructuredOutputsEngineTestSchemas {

    private StructuredOutputsEngineTestSchemas() {
    }

    /** Small enough limits that a random model reaches the end of each within max_tokens. */
    public static final List<String> SCHEMAS = List.of(
            """
            {"type":"object","properties":{"name":{"type":"string","maxLength":6},
             "age":{"type":"integer","minimum":0,"maximum":120}},"required":["name","age"],"additionalProperties":false}""",
            """
            {"type":"string","enum":["red","green","blue"]}""",
            """
            {"type":"boolean"}""",
            """
            {"type":"integer","minimum":-50,"maximum":50}""",
            """
            {"type":"number","minimum":-1.5,"exclusiveMaximum":2.5}""",
            """
            {"type":"array","items":{"type":"integer","minimum":0,"maximum":9},"minItems":1,"maxItems":4}""",
            """
            {"type":"object","properties":{"user":{"type":"object","properties":{"id":{"type":"integer","minimum":1,"maximum":999},
             "tags":{"type":"array","items":{"type":"string","maxLength":3},"maxItems":3}},"required":["id"]},
             "ok":{"type":"boolean"}},"required":["user","ok"]}""",
            """
            {"type":"object","properties":{"a":{"type":"integer","minimum":0,"maximum":5},"b":{"type":"boolean"},"c":{"type":"null"}}}""",
            """
            {"anyOf":[{"type":"integer","minimum":0,"maximum":10},{"type":"string","maxLength":2},{"type":"null"}]}""",
            """
            {"oneOf":[{"type":"object","properties":{"kind":{"const":"circle"},"r":{"type":"integer","minimum":1,"maximum":9}},
              "required":["kind","r"],"additionalProperties":false},
             {"type":"object","properties":{"kind":{"const":"square"},"side":{"type":"integer","minimum":1,"maximum":9}},
              "required":["kind","side"],"additionalProperties":false}]}""",
            """
            {"const":{"version":1,"tags":["a","b"]}}""",
            """
            {"type":"string","pattern":"^[A-Z]{2}-[0-9]{3}$"}""",
            """
            {"type":"string","minLength":2,"maxLength":4}""",
            """
            {"$defs":{"point":{"type":"object","properties":{"x":{"type":"integer","minimum":-9,"maximum":9},
              "y":{"type":"integer","minimum":-9,"maximum":9}},"required":["x","y"],"additionalProperties":false}},
             "type":"object","properties":{"from":{"$ref":"#/$defs/point"},"to":{"$ref":"#/$defs/point"}},"required":["from","to"]}""",
            """
            {"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer","minimum":0,"maximum":9},
              "kids":{"type":"array","items":{"$ref":"#/$defs/node"},"maxItems":2}},"required":["v"],"additionalProperties":false}},
             "$ref":"#/$defs/node"}""",
            """
            {"type":["string","null"],"maxLength":3}""",
            """
            {"enum":[1,"two",null,true,{"x":[1,2]},2.5]}""",
            """
            {"type":"number"}""",
            """
            {"type":"integer"}""",
            """
            {"type":"array","items":{"enum":["a","b","c"]},"minItems":2,"maxItems":5}""",
            """
            {"type":"object","properties":{"k":{"type":"boolean"}},"required":["k","extra"],
             "additionalProperties":{"type":"integer","minimum":0,"maximum":3}}""",
            """
            {"type":"string","pattern":"ab","maxLength":5}""",
            """
            {"type":"integer","exclusiveMinimum":-3,"exclusiveMaximum":3}""",
            """
            {"type":"number","minimum":0.5,"maximum":3}""",
            """
            {"type":"string","maxLength":2}""",
            """
            {"type":"object","additionalProperties":false}""",
            """
            {"type":"array","items":{"type":"array","items":{"type":"boolean"},"maxItems":2},"maxItems":2}""");
}
