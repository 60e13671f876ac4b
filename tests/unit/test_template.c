#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlab/template.h"

/* A Docker-shaped container record plus values that exercise Go's printing rules. */
static const char *const data_json =
    "{\"Id\":\"3f2a9c\",\"Name\":\"/web\","
    "\"State\":{\"Status\":\"running\",\"Running\":true,\"Pid\":4242,\"ExitCode\":0},"
    "\"Config\":{\"Labels\":{\"b\":\"2\",\"a\":\"1\"},\"Env\":[\"A=1\",\"B=2\"]},"
    "\"NetworkSettings\":{\"Networks\":{"
    "\"labnet\":{\"IPAddress\":\"10.89.0.2\",\"IPPrefixLen\":24,\"Aliases\":null},"
    "\"bridge\":{\"IPAddress\":\"172.17.0.2\",\"IPPrefixLen\":16}}},"
    "\"Empty\":\"\",\"Zero\":0,\"Nil\":null,\"List\":[],\"Obj\":{},\"False\":false,"
    "\"Half\":0.5,\"Mixed\":[1,\"a\",true,null,{\"k\":\"v\"},[2,3]],"
    "\"Floats\":[3.0,-2.5,1000000.0,123456.0,1234567.0,0.0001,0.00001,1e21,1e-7,1e20],"
    "\"Text\":\"<a&b>\\n\\t\\\"q\\\" \\u00e9\\u2028\\u0001\"}";

static json_t *load(const char *text)
{
        json_error_t je;
        json_t *d;

        if (!text)
                return NULL;
        d = json_loads(text, JSON_DECODE_ANY, &je);
        if (!d)
                fail_msg("bad test json: %s", je.text);
        return d;
}

static char *render_json(const char *tmpl, const char *data)
{
        struct nlab_template *t = NULL;
        struct nlab_err err = {0};
        json_t *d = load(data);
        char *out = NULL;

        if (nlab_template_compile(tmpl, &t, &err) < 0)
                fail_msg("compile %s: %s", tmpl, err.msg);
        if (nlab_template_render(t, d, &out, &err) < 0)
                fail_msg("render %s: %s", tmpl, err.msg);
        nlab_template_free(t);
        json_decref(d);
        return out;
}

#define CHECK_DATA(tmpl, data, want)                                                               \
        do {                                                                                       \
                char *got_ = render_json(tmpl, data);                                              \
                assert_string_equal(got_, want);                                                   \
                free(got_);                                                                        \
        } while (0)

#define CHECK(tmpl, want) CHECK_DATA(tmpl, data_json, want)

/* The message of a compile error; fails the test if the template compiles. */
static void expect_compile_error(const char *tmpl, const char *want)
{
        struct nlab_template *t = NULL;
        struct nlab_err err = {0};

        if (nlab_template_compile(tmpl, &t, &err) == 0)
                fail_msg("compiled but should not: %s", tmpl);
        assert_null(t);
        assert_int_equal(err.kind, NLAB_E_INVALID);
        assert_string_equal(err.msg, want);
}

static void expect_render_error(const char *tmpl, const char *want)
{
        struct nlab_template *t = NULL;
        struct nlab_err err = {0};
        json_t *d = load(data_json);
        char *out = (char *)"unset";

        if (nlab_template_compile(tmpl, &t, &err) < 0)
                fail_msg("compile %s: %s", tmpl, err.msg);
        assert_int_equal(nlab_template_render(t, d, &out, &err), -1);
        assert_null(out);
        assert_string_equal(err.msg, want);
        nlab_template_free(t);
        json_decref(d);
}

static void test_text_and_dot(void **state)
{
        (void)state;
        CHECK("", "");
        CHECK("plain text", "plain text");
        CHECK_DATA("{{.}}", "\"x\"", "x");
        CHECK_DATA("<{{.}}>", "[1,\"a\"]", "<[1 a]>");
        CHECK_DATA("{{.}}", NULL, "<no value>");
        CHECK_DATA("a {{ . }} b", "42", "a 42 b");
        CHECK("a{{/* a comment */}}b", "ab");
        CHECK("a {{- /* trimmed */ -}} b", "ab");
}

static void test_fields(void **state)
{
        (void)state;
        CHECK("{{.Name}}", "/web");
        CHECK("{{.State.Status}} {{.State.Pid}} {{.State.Running}}", "running 4242 true");
        CHECK("{{.NetworkSettings.Networks.labnet.IPAddress}}", "10.89.0.2");
        CHECK("{{.Missing}}", "<no value>");
        CHECK("{{.Missing.Deeper.Still}}", "<no value>");
        CHECK("{{.State.Missing}}", "<no value>");
        /* Go takes a nil out of its interface before printing: <no value>, not <nil> */
        CHECK("{{.Nil}}", "<no value>");
        CHECK("{{.NetworkSettings.Networks.labnet.Aliases}}", "<no value>");
}

static void test_value_printing(void **state)
{
        (void)state;
        CHECK("{{.Mixed}}", "[1 a true <nil> map[k:v] [2 3]]");
        CHECK("{{.Config.Labels}}", "map[a:1 b:2]");
        CHECK("{{.Config}}", "map[Env:[A=1 B=2] Labels:map[a:1 b:2]]");
        CHECK("{{.List}}{{.Obj}}{{.Empty}}|{{.False}}{{.Zero}}", "[]map[]|false0");
        CHECK("{{.Half}}", "0.5");
        CHECK("{{range .Floats}}{{.}} {{end}}",
              "3 -2.5 1e+06 123456 1.234567e+06 0.0001 1e-05 1e+21 1e-07 1e+20 ");
        CHECK_DATA("{{.}}", "-9223372036854775807", "-9223372036854775807");
        CHECK_DATA("{{.}}", "{\"k\":null}", "map[k:<nil>]");
}

static void test_index(void **state)
{
        (void)state;
        CHECK("{{index .Config.Labels \"a\"}}", "1");
        CHECK("{{index .Config.Env 1}}", "B=2");
        CHECK("{{index .Config.Labels \"nope\"}}", "<no value>");
        CHECK("{{index (index .NetworkSettings.Networks \"labnet\") \"IPAddress\"}}", "10.89.0.2");
        CHECK("{{index .NetworkSettings.Networks \"bridge\" \"IPPrefixLen\"}}", "16");
        CHECK("{{(index .NetworkSettings.Networks \"labnet\").IPAddress}}", "10.89.0.2");
        CHECK("{{index .Mixed 5 1}}", "3");
        CHECK("{{index .Name 1}}", "119");
        CHECK("{{index .Config.Labels `a`}}", "1");
        CHECK("{{index .Config.Env 0x1}}", "B=2");
}

static void test_range(void **state)
{
        (void)state;
        CHECK("{{range .Config.Env}}[{{.}}]{{end}}", "[A=1][B=2]");
        CHECK("{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}",
              "bridge=172.17.0.2 labnet=10.89.0.2 ");
        CHECK("{{range $v := .Config.Env}}{{$v}},{{end}}", "A=1,B=2,");
        CHECK("{{range $i, $e := .Config.Env}}{{$i}}:{{$e}} {{end}}", "0:A=1 1:B=2 ");
        CHECK("{{range .NetworkSettings.Networks}}{{.IPPrefixLen}} {{end}}", "16 24 ");
        CHECK("{{range .List}}x{{else}}empty{{end}}", "empty");
        CHECK("{{range .Missing}}x{{else}}none{{end}}", "none");
        CHECK("{{range .Nil}}x{{end}}.", ".");
        CHECK("{{range .Config.Env}}{{$.Name}}{{end}}", "/web/web");
        CHECK("{{range $k, $v := .Config.Labels}}{{range $.Config.Env}}{{$k}}{{.}} {{end}}{{end}}",
              "aA=1 aB=2 bA=1 bB=2 ");
        CHECK("{{range 3}}{{.}}{{end}}", "012");
        /* variables declared in the body live for one pass */
        CHECK("{{range .Config.Env}}{{$x := .}}{{$x}}{{end}}", "A=1B=2");
}

static void test_len_json(void **state)
{
        (void)state;
        CHECK("{{len .Config.Env}} {{len .Name}} {{len .Config.Labels}} {{len .List}}", "2 4 2 0");
        CHECK("{{json .Config.Labels}}", "{\"b\":\"2\",\"a\":\"1\"}");
        CHECK("{{json .Mixed}}", "[1,\"a\",true,null,{\"k\":\"v\"},[2,3]]");
        CHECK("{{json .Missing}} {{json .Nil}} {{json .Name}}", "null null \"/web\"");
        CHECK("{{json .Text}}", "\"<a&b>\\n\\t\\\"q\\\" \xc3\xa9\\u2028\\u0001\"");
        CHECK("{{json .Floats}}",
              "[3,-2.5,1000000,123456,1234567,0.0001,0.00001,1e+21,1e-7,100000000000000000000]");
        CHECK("{{json .State}}",
              "{\"Status\":\"running\",\"Running\":true,\"Pid\":4242,\"ExitCode\":0}");
}

static void test_print_functions(void **state)
{
        (void)state;
        CHECK("{{println .Name .State.Pid}}", "/web 4242\n");
        CHECK("{{println}}", "\n");
        CHECK("{{print \"a\" 1 2 \"b\" true}}", "a1 2btrue");
        CHECK("{{printf \"%s\" .Name}}", "/web");
        CHECK("{{printf \"%d-%v\" .State.Pid .Config.Env}}", "4242-[A=1 B=2]");
        CHECK("{{printf \"%v|%v|%v\" .Config.Labels .Missing .Half}}", "map[a:1 b:2]|<nil>|0.5");
        CHECK("{{printf \"%5s|%-5s|%05d|%x|%X|%%\" \"ab\" \"ab\" -42 255 255}}",
              "   ab|ab   |-0042|ff|FF|%");
        CHECK("{{printf \"%.2f %t %q %.1s\" .Half .State.Running \"a\\\"b\" \"xyz\"}}",
              "0.50 true \"a\\\"b\" x");
        CHECK("{{printf \"%d\" .Name}}", "%!d(string=/web)");
        CHECK("{{printf \"%s\" .State.Pid}}", "%!s(int=4242)");
        CHECK("{{printf \"%s %s\" .Name}}", "/web %!s(MISSING)");
        CHECK("{{printf \"%s\" .Name 2 \"x\"}}", "/web%!(EXTRA int=2, string=x)");
        CHECK("{{printf \"%s\" .Config.Env}}", "[A=1 B=2]");
        CHECK("{{printf \"%d\" .Nil}}", "%!d(<nil>)");
        CHECK("{{printf \"50%\"}}", "50%!(NOVERB)");
        CHECK("{{printf \"%*d|\" 4 7}}", "   7|");
        CHECK("{{printf \"%+d|% d|%c|%6.3v|%e\" 5 5 233 .Name .Half}}",
              "+5| 5|\xc3\xa9|   /we|5.000000e-01");
        CHECK("{{.Name | printf \"name=%s\"}}", "name=/web");
}

static void test_string_functions(void **state)
{
        (void)state;
        CHECK("{{upper .Name}} {{lower \"AbC\"}} {{title \"hello big-world\"}}",
              "/WEB abc Hello Big-World");
        CHECK("{{join .Config.Env \",\"}}", "A=1,B=2");
        CHECK("{{join .Mixed \"|\"}}", "1|a|true|<nil>|map[k:v]|[2 3]");
        CHECK("{{split \"a,b,,c\" \",\"}} {{len (split \"abc\" \"\")}}", "[a b  c] 3");
        CHECK("{{.Name | upper | lower}}", "/web");
        CHECK("[{{pad .Name 1 2}}] {{truncate .Id 3}} {{truncate .Id 30}}", "[ /web  ] 3f2 3f2a9c");
}

static void test_if_with(void **state)
{
        static const char *const falsy[] = {"Empty", "Zero",  "Nil",    "List",
                                            "Obj",   "False", "Missing"};
        static const char *const truthy[] = {"Name", "Half", "Mixed", "Config", "State"};
        char tmpl[128];
        size_t i;

        (void)state;
        CHECK("{{if .State.Running}}up{{else}}down{{end}}", "up");
        for (i = 0; i < sizeof(falsy) / sizeof(falsy[0]); i++) {
                snprintf(tmpl, sizeof(tmpl), "{{if .%s}}yes{{else}}no{{end}}", falsy[i]);
                CHECK(tmpl, "no");
        }
        for (i = 0; i < sizeof(truthy) / sizeof(truthy[0]); i++) {
                snprintf(tmpl, sizeof(tmpl), "{{if .%s}}yes{{else}}no{{end}}", truthy[i]);
                CHECK(tmpl, "yes");
        }
        CHECK("{{if .Zero}}a{{else if .Empty}}b{{else if .Name}}c{{else}}d{{end}}", "c");
        CHECK("{{if .Zero}}a{{else if .Empty}}b{{end}}.", ".");
        CHECK("{{with .State}}{{.Status}}{{end}}", "running");
        CHECK("{{with .Missing}}x{{else}}none{{end}}", "none");
        CHECK("{{with $n := .Name}}{{$n}}{{end}}", "/web");
        CHECK("{{if eq .State.Status \"running\"}}ok{{end}}", "ok");
        CHECK("{{if eq .State.Status \"exited\" \"running\"}}one-of{{end}}", "one-of");
        CHECK("{{if ne .State.Pid 0}}pid{{end}}", "pid");
        CHECK("{{if and .State.Running (eq .State.ExitCode 0)}}healthy{{end}}", "healthy");
        CHECK("{{or .Empty \"default\"}} {{and .Name .Zero}} {{not .Zero}}", "default 0 true");
        CHECK("{{if lt .Zero .State.Pid}}lt{{end}} {{if ge \"b\" \"a\"}}ge{{end}}", "lt ge");
        CHECK("{{if eq .Missing .Nil}}nil{{end}}", "nil");
}

static void test_variables(void **state)
{
        (void)state;
        CHECK("{{$n := .Name}}{{$n}}", "/web");
        CHECK("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", "2");
        CHECK("{{$s := .State}}{{$s.Status}}", "running");
        CHECK("{{$.State.Pid}}", "4242");
}

static void test_trim(void **state)
{
        (void)state;
        CHECK("a  {{- .Name -}}  b", "a/webb");
        CHECK("{{-3}}", "-3");
        CHECK("x\n{{- range .Config.Env}}\n  {{.}}\n{{- end}}\n", "x\n  A=1\n  B=2\n");
        CHECK("{{range .Config.Env -}}\n\t{{.}} {{- end}}", "A=1B=2");
        CHECK("{{.Name}}\t-}}", "/web\t-}}");
}

static void test_literals(void **state)
{
        (void)state;
        CHECK("{{\"a\\tb\\u00e9\\x41\\101\"}}", "a\tb\xc3\xa9"
                                                "AA");
        CHECK("{{`raw \\n`}}", "raw \\n");
        CHECK("{{'a'}} {{1.5}} {{-7}} {{true}} {{\"}}\"}}", "97 1.5 -7 true }}");
}

static void test_compile_errors(void **state)
{
        char deep[512];

        (void)state;
        expect_compile_error("{{.Name", "template: unclosed action at offset 0");
        expect_compile_error("ab{{foo .X}}", "template: function \"foo\" not defined at offset 4");
        expect_compile_error("x{{end}}", "template: unexpected {{end}} at offset 1");
        expect_compile_error("{{else}}", "template: unexpected {{else}} at offset 0");
        expect_compile_error("x{{range .L}}",
                             "template: unexpected EOF: missing {{end}} for {{range}} at offset 1");
        expect_compile_error("{{if .A}}{{else}}{{else}}{{end}}",
                             "template: expected {{end}}; found {{else}} at offset 17");
        expect_compile_error("{{index (}}",
                             "template: unexpected \"}}\" in parenthesized pipeline at offset 9");
        expect_compile_error("{{}}", "template: missing value for command at offset 2");
        expect_compile_error("{{if}}{{end}}", "template: missing value for if at offset 4");
        expect_compile_error("{{.A |}}", "template: missing command after | at offset 6");
        expect_compile_error("{{\"abc}}", "template: unterminated quoted string at offset 2");
        expect_compile_error("{{`abc}}", "template: unterminated raw quoted string at offset 2");
        expect_compile_error("{{.A \"x\"}}",
                             "template: can't give argument to non-function .A at offset 2");
        expect_compile_error("{{.A | .B}}",
                             "template: can't give argument to non-function .B at offset 7");
        expect_compile_error("{{$x}}", "template: undefined variable \"$x\" at offset 2");
        expect_compile_error("{{range $k, $v := .M}}{{end}}{{$k}}",
                             "template: undefined variable \"$k\" at offset 31");
        expect_compile_error("{{$a, $b := .M}}",
                             "template: too many declarations in command at offset 4");
        expect_compile_error("{{define \"x\"}}",
                             "template: {{define}} is not supported at offset 2");
        expect_compile_error("{{.A.B\"x\"}}",
                             "template: unexpected \"\\\"x\\\"\" in operand at offset 6");
        expect_compile_error("{{1x}}", "template: bad number syntax: \"1x\" at offset 2");
        expect_compile_error("{{\"\\q\"}}", "template: bad string \"\\\"\\\\q\\\"\" at offset 2");
        expect_compile_error("{{nil}}", "template: nil is not a command at offset 2");
        expect_compile_error("{{.A end}}", "template: unexpected \"end\" in operand at offset 5");
        expect_compile_error("{{/* x */ }}",
                             "template: comment ends before closing delimiter at offset 9");
        expect_compile_error("{{)}}", "template: unexpected \")\" in command at offset 2");
        expect_compile_error("{{# }}", "template: unexpected \"#\" at offset 2");
        memset(deep, '(', 300);
        strcpy(deep + 300, ".A");
        memset(deep + 302, ')', 200);
        deep[502] = '\0';
        {
                char tmpl[600];

                snprintf(tmpl, sizeof(tmpl), "{{%s}}", deep);
                expect_compile_error(tmpl, "template: nesting too deep at offset 102");
        }
}

/* 26 nested ranges over two elements: 2^26 passes, stopped by the step budget. */
static void expect_render_prefix_exploding_range(void)
{
        static const char want[] = "template: template execution exceeds 16777216 steps";
        struct nlab_template *t = NULL;
        struct nlab_err err = {0};
        json_t *d = load("[1,2]");
        char tmpl[2048] = "";
        char *out = NULL;
        int i;

        for (i = 0; i < 26; i++)
                strcat(tmpl, "{{range $}}");
        strcat(tmpl, "x");
        for (i = 0; i < 26; i++)
                strcat(tmpl, "{{end}}");
        assert_int_equal(nlab_template_compile(tmpl, &t, &err), 0);
        assert_int_equal(nlab_template_render(t, d, &out, &err), -1);
        assert_null(out);
        assert_memory_equal(err.msg, want, sizeof(want) - 1);
        nlab_template_free(t);
        json_decref(d);
}

static void test_render_errors(void **state)
{
        (void)state;
        expect_render_error("ab{{index .Config.Env 5}}",
                            "template: error calling index: index out of range: 5 at offset 4");
        expect_render_error("{{index .Missing \"a\"}}",
                            "template: error calling index: index of untyped nil at offset 2");
        expect_render_error("{{len .Missing}}",
                            "template: error calling len: len of nil pointer at offset 2");
        expect_render_error("{{len .Zero}}",
                            "template: error calling len: len of type int at offset 2");
        expect_render_error("{{range .Name}}{{end}}",
                            "template: range can't iterate over string at offset 0");
        expect_render_error("{{upper .State.Pid}}", "template: error calling upper: wrong type for "
                                                    "value; expected string; got int at offset 2");
        expect_render_error("{{.Name.X}}",
                            "template: can't evaluate field X in type string at offset 2");
        expect_render_error("{{.Nil.X}}",
                            "template: nil pointer evaluating interface {}.X at offset 2");
        expect_render_error("{{len 1 2}}",
                            "template: wrong number of args for len: want 1 got 2 at offset 2");
        expect_render_error(
            "{{lt .Name 1}}",
            "template: error calling lt: incompatible types for comparison at offset 2");
        expect_render_prefix_exploding_range();
}

static void test_header(void **state)
{
        static const struct nlab_header headers[] = {
            {"ID", "CONTAINER ID"},
            {"Names", "NAMES"},
            {"State.Status", "STATUS"},
            {NULL, NULL},
        };
        struct nlab_template *t = NULL;
        struct nlab_err err = {0};
        char *out = NULL;

        (void)state;
        assert_int_equal(nlab_template_compile("{{.ID}}\t{{.Names}}\t{{.Image}}\t{{upper .Names}}"
                                               "\t{{json .Labels}}\t{{.State.Status}}: {{len .ID}}",
                                               &t, &err),
                         0);
        assert_int_equal(nlab_template_render_header(t, headers, &out, &err), 0);
        assert_string_equal(out, "CONTAINER ID\tNAMES\tIMAGE\tNAMES\tLABELS\tSTATUS: 12");
        free(out);
        nlab_template_free(t);
        assert_true(nlab_template_is_table("table {{.ID}}"));
        assert_true(nlab_template_is_table("table"));
        assert_false(nlab_template_is_table("{{.ID}}"));
        assert_false(nlab_template_is_table(" table"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_text_and_dot),
            cmocka_unit_test(test_fields),
            cmocka_unit_test(test_value_printing),
            cmocka_unit_test(test_index),
            cmocka_unit_test(test_range),
            cmocka_unit_test(test_len_json),
            cmocka_unit_test(test_print_functions),
            cmocka_unit_test(test_string_functions),
            cmocka_unit_test(test_if_with),
            cmocka_unit_test(test_variables),
            cmocka_unit_test(test_trim),
            cmocka_unit_test(test_literals),
            cmocka_unit_test(test_compile_errors),
            cmocka_unit_test(test_render_errors),
            cmocka_unit_test(test_header),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
