using ApiExtensions.Cel;

namespace ApiExtensions.Tests;

/// <summary>The CEL engine on its own: the language, the standard library and Kubernetes' libraries.</summary>
public class CelTests
{
    private static object Eval(string expression)
    {
        var compiled = CelEnvironment.Create().Compile(expression);
        Assert.True(compiled.Program is not null, compiled.Error);
        return compiled.Program!.Evaluate([]).Value;
    }

    [Theory]
    [InlineData("1 + 2 * 3 == 7")]
    [InlineData("-9223372036854775808 < 0")]
    [InlineData("7 / 2 == 3 && 7 % 2 == 1 && 7.0 / 2.0 == 3.5")]
    [InlineData("1u + 2u == 3u")]
    [InlineData("'abc' + 'def' == 'abcdef'")]
    [InlineData("size('héllo') == 5 && 'héllo'.size() == 5")]
    [InlineData("[1, 2, 3].size() == 3 && size({'a': 1}) == 1")]
    [InlineData("2 in [1, 2, 3] && 'a' in {'a': 1} && !(4 in [1, 2, 3])")]
    [InlineData("[1, 2] + [3] == [1, 2, 3]")]
    [InlineData("{'a': 1, 'b': 2}['b'] == 2")]
    [InlineData("dyn(1) == 1.0 && dyn(1u) == 1 && 2 < 2.5 && 3u > 2")]
    [InlineData("(true ? 'yes' : 'no') == 'yes'")]
    [InlineData("'hello'.startsWith('he') && 'hello'.endsWith('lo') && 'hello'.contains('ell')")]
    [InlineData("'abc123'.matches('^[a-z]+[0-9]+$') && !'ABC'.matches('^[a-z]+$')")]
    [InlineData("[1, 2, 3].all(x, x > 0) && [1, 2, 3].exists(x, x == 2) && [1, 2, 3].exists_one(x, x > 2)")]
    [InlineData("[1, 2, 3].map(x, x * 2) == [2, 4, 6] && [1, 2, 3].filter(x, x != 2) == [1, 3]")]
    [InlineData("[1, 2, 3].map(x, x > 1, x * 10) == [20, 30]")]
    [InlineData("{'a': 1, 'b': 2}.all(k, k.size() == 1)")]
    [InlineData("[10, 20].all(i, v, v == (i + 1) * 10) && {'a': 1}.exists(k, v, k == 'a' && v == 1)")]
    [InlineData("[1, 2].transformList(i, v, v + i) == [1, 3] && {'a': 1}.transformMap(k, v, v + 1) == {'a': 2}")]
    [InlineData("int('42') == 42 && uint(3) == 3u && double(2) == 2.0 && string(12) == '12' && string(1.5) == '1.5'")]
    [InlineData("bool('true') && !bool('false') && bytes('a') == b'a' && string(b'abc') == 'abc'")]
    [InlineData("type(1) == int && type('a') == string && type([]) == list && type({}) == map && type(1) != type(1u)")]
    [InlineData("duration('1h30m') == duration('90m') && duration('1s').getMilliseconds() == 0 && duration('90m').getHours() == 1")]
    [InlineData("timestamp('2024-01-02T03:04:05Z').getFullYear() == 2024 && timestamp('2024-01-02T03:04:05Z').getMonth() == 0")]
    [InlineData("timestamp('2024-01-01T00:00:00Z') + duration('24h') == timestamp('2024-01-02T00:00:00Z')")]
    [InlineData("timestamp('2024-01-02T00:00:00Z') - timestamp('2024-01-01T00:00:00Z') == duration('24h')")]
    [InlineData("string(timestamp('2024-01-02T03:04:05.5Z')) == '2024-01-02T03:04:05.5Z'")]
    [InlineData("has({'a': 1}.a) && !has({'a': 1}.b)")]
    [InlineData("cel.bind(x, 10, x * x) == 100")]
    // cel-go's strings extension
    [InlineData("'hello'.charAt(1) == 'e' && 'hello'.indexOf('l') == 2 && 'hello'.lastIndexOf('l') == 3")]
    [InlineData("'Hello'.lowerAscii() == 'hello' && 'Hello'.upperAscii() == 'HELLO'")]
    [InlineData("'a,b,c'.split(',') == ['a', 'b', 'c'] && ['a', 'b'].join('-') == 'a-b'")]
    [InlineData("'hello'.substring(1, 3) == 'el' && '  x '.trim() == 'x' && 'aaa'.replace('a', 'b', 2) == 'bba'")]
    [InlineData("'%s is %d years'.format([dyn('Ann'), dyn(30)]) == 'Ann is 30 years' && strings.quote('a\"b') == '\"a\\\\\"b\"'")]
    // Kubernetes' lists, sets, regex
    [InlineData("[1, 2, 3].isSorted() && ![3, 1].isSorted() && [1, 2, 3].sum() == 6 && [3, 1, 2].min() == 1 && [3, 1, 2].max() == 3")]
    [InlineData("[1, 2, 3, 2].indexOf(2) == 1 && [1, 2, 3, 2].lastIndexOf(2) == 3")]
    [InlineData("sets.contains([1, 2, 3], [2, 3]) && sets.equivalent([1, 2], [2, 1, 1]) && sets.intersects([1], [1, 5])")]
    [InlineData("'abc 123 def 456'.find('[0-9]+') == '123' && 'abc 123 def 456'.findAll('[0-9]+') == ['123', '456']")]
    [InlineData("lists.range(3) == [0, 1, 2] && [[1], [2, 3]].flatten() == [1, 2, 3] && [3, 1, 2].sort() == [1, 2, 3] && [1, 1, 2].distinct() == [1, 2]")]
    // Kubernetes' URL, quantity, IP/CIDR and format libraries
    [InlineData("url('https://example.com:8080/path?a=1').getHost() == 'example.com:8080' && url('https://example.com:8080/path').getPort() == '8080'")]
    [InlineData("url('https://example.com/p?x=1&x=2').getQuery()['x'] == ['1', '2'] && isURL('https://a') && !isURL('not a url')")]
    [InlineData("quantity('1Gi').isGreaterThan(quantity('1G')) && quantity('500m').asApproximateFloat() == 0.5 && quantity('2').asInteger() == 2")]
    [InlineData("quantity('1').add(quantity('500m')).compareTo(quantity('1500m')) == 0 && isQuantity('10Mi') && !isQuantity('ten')")]
    [InlineData("ip('10.0.0.1').family() == 4 && ip('::1').isLoopback() && isIP('192.168.1.1') && !isIP('999.1.1.1')")]
    [InlineData("cidr('10.0.0.0/8').containsIP('10.1.2.3') && !cidr('10.0.0.0/8').containsIP(ip('11.0.0.1')) && cidr('10.0.0.0/8').prefixLength() == 8")]
    [InlineData("cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16') && string(cidr('10.1.2.3/8').masked()) == '10.0.0.0/8'")]
    [InlineData("!format.dns1123Label().validate('my-name').hasValue() && format.dns1123Label().validate('My_Name').hasValue()")]
    // optionals
    [InlineData("optional.of(1).hasValue() && !optional.none().hasValue() && optional.none().orValue(5) == 5")]
    [InlineData("{'a': 1}.?a.orValue(0) == 1 && {'a': 1}.?b.orValue(0) == 0 && [1, 2][?5].orValue(9) == 9")]
    public void EvaluatesToTrue(string expression) => Assert.Equal(true, Eval(expression));

    [Theory]
    [InlineData("1 / 0", "division by zero")]
    [InlineData("9223372036854775807 + 1", "integer overflow")]
    [InlineData("[1, 2][5]", "index out of bounds: 5")]
    [InlineData("{'a': 1}['b']", "no such key: b")]
    [InlineData("int('x')", "type conversion error from 'string' to 'int'")]
    public void ReportsRuntimeErrors(string expression, string message)
    {
        var value = Eval(expression);
        var error = Assert.IsType<CelError>(value);
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("false && (1 / 0 == 1)", false)]
    [InlineData("(1 / 0 == 1) || true", true)]
    [InlineData("[1, 0].exists(x, 1 / x == 1)", true)]
    [InlineData("[0, 1].all(x, 1 / x == 5)", false)]
    public void AbsorbsErrorsAsCelSpecifies(string expression, bool expected) => Assert.Equal(expected, Eval(expression));

    [Theory]
    [InlineData("1 +", "ERROR: <input>:1:4: Syntax error: mismatched input '<EOF>' expecting")]
    [InlineData("nosuch(1)", "ERROR: <input>:1:7: undeclared reference to 'nosuch' (in container '')\n | nosuch(1)\n | ......^")]
    [InlineData("1 + 'a'", "ERROR: <input>:1:3: found no matching overload for '_+_' applied to '(int, string)'\n | 1 + 'a'\n | ..^")]
    [InlineData("'a'.startsWith(1)", "ERROR: <input>:1:15: found no matching overload for 'startsWith' applied to 'string.(int)'")]
    [InlineData("[1, 'a']", "ERROR: <input>:1:5: expected type 'int' but found 'string'")]
    [InlineData("x", "ERROR: <input>:1:1: undeclared reference to 'x' (in container '')")]
    public void ReportsCompileErrorsAsCelGo(string expression, string expectedPrefix)
    {
        var compiled = CelEnvironment.Create().Compile(expression);
        Assert.Null(compiled.Program);
        Assert.StartsWith(expectedPrefix, compiled.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void StopsAtTheCostLimit()
    {
        var compiled = CelEnvironment.Create().Compile("lists.range(1000).all(i, lists.range(1000).all(j, i + j >= 0))");
        Assert.NotNull(compiled.Program);
        Assert.Throws<CelCostLimitException>(() => compiled.Program!.Evaluate([], 100_000));
    }

    [Fact]
    public void DeclaredVariablesAreTyped()
    {
        var env = CelEnvironment.Create(("x", CelType.Int), ("names", CelType.List(CelType.String)));
        Assert.Contains("found no matching overload for '_+_' applied to '(int, string)'", env.Compile("x + 'a'").Error, StringComparison.Ordinal);
        var program = env.Compile("names.exists(n, n == 'b') && x > 1").Program!;
        Assert.Equal(true, program.Evaluate([2L, new CelList(["a", "b"])]).Value);
    }
}
