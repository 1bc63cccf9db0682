using System.Globalization;
using System.Text;

namespace SslRec.Tests.Infra.Arm;

/// <summary>An ARM template language expression, parsed: literals, function calls, `.name` and `[index]`.</summary>
public abstract record Ast;

public sealed record Literal(object? Value) : Ast;

public sealed record Call(string Function, IReadOnlyList<Ast> Arguments) : Ast;

public sealed record Member(Ast Target, string Name) : Ast;

public sealed record IndexAccess(Ast Target, Ast Key) : Ast;

/// <summary>What the template does not allow, or what this evaluator cannot know; the contract checks report it.</summary>
public sealed class ArmException(string message) : Exception(message);

/// <summary>
/// Recursive-descent parser of the expressions Bicep compiles to ("[format('{0}-x', parameters('name'))]").
/// Anything outside the grammar fails loudly, so a contract check never silently skips a value.
/// </summary>
public sealed class ArmExpression
{
    private readonly string _text;
    private int _at;

    private ArmExpression(string text) => _text = text;

    /// <summary>"[...]" is an expression; "[[..." is a literal string starting with "[".</summary>
    public static bool IsExpression(string s) => s.Length >= 2 && s[0] == '[' && s[^1] == ']' && s[1] != '[';

    public static Ast Parse(string expression)
    {
        var parser = new ArmExpression(expression[1..^1]);
        var ast = parser.Expression();
        parser.SkipSpace();
        if (parser._at != parser._text.Length) throw parser.Error("unexpected text");
        return ast;
    }

    private Ast Expression()
    {
        SkipSpace();
        var ast = Primary();
        while (true)
        {
            SkipSpace();
            if (Peek('.'))
            {
                _at++;
                ast = new Member(ast, Identifier());
            }
            else if (Peek('['))
            {
                _at++;
                var key = Expression();
                SkipSpace();
                Expect(']');
                ast = new IndexAccess(ast, key);
            }
            else return ast;
        }
    }

    private Ast Primary()
    {
        if (Peek('\'')) return new Literal(StringLiteral());
        if (_at < _text.Length && (char.IsDigit(_text[_at]) || _text[_at] == '-')) return new Literal(Number());
        var name = Identifier();
        SkipSpace();
        Expect('(');
        var args = new List<Ast>();
        SkipSpace();
        while (!Peek(')'))
        {
            args.Add(Expression());
            SkipSpace();
            if (Peek(',')) _at++;
            else if (!Peek(')')) throw Error("expected ',' or ')'");
        }
        _at++;
        return new Call(name, args);
    }

    private string StringLiteral()
    {
        Expect('\'');
        var sb = new StringBuilder();
        while (true)
        {
            if (_at >= _text.Length) throw Error("unterminated string");
            if (_text[_at] == '\'')
            {
                if (_at + 1 < _text.Length && _text[_at + 1] == '\'') { sb.Append('\''); _at += 2; continue; }
                _at++;
                return sb.ToString();
            }
            sb.Append(_text[_at++]);
        }
    }

    private object Number()
    {
        var start = _at;
        if (_text[_at] == '-') _at++;
        while (_at < _text.Length && (char.IsDigit(_text[_at]) || _text[_at] == '.')) _at++;
        var token = _text[start.._at];
        return long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l
            : double.Parse(token, CultureInfo.InvariantCulture);
    }

    private string Identifier()
    {
        var start = _at;
        while (_at < _text.Length && (char.IsLetterOrDigit(_text[_at]) || _text[_at] is '_' or '$')) _at++;
        if (_at == start) throw Error("expected a name");
        return _text[start.._at];
    }

    private void SkipSpace()
    {
        while (_at < _text.Length && _text[_at] == ' ') _at++;
    }

    private bool Peek(char c) => _at < _text.Length && _text[_at] == c;

    private void Expect(char c)
    {
        if (!Peek(c)) throw Error($"expected '{c}'");
        _at++;
    }

    private ArmException Error(string what) => new($"cannot parse the expression [{_text}] at {_at}: {what}");
}
