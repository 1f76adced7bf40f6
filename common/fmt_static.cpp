// fmt's compiled part for fully static binaries (the guest agent), which
// cannot link Debian's libfmt.so; Debian ships no libfmt.a. Host binaries
// link libfmt.so instead (common/CMakeLists.txt picks per binary).
//
// Without FMT_HEADER_ONLY, fmt's headers declare these functions and leave
// their definitions to the library: format-inl.h defines the non-template
// ones, and the templates the headers declare `extern` are instantiated here.
#include <fmt/format-inl.h>

#include <locale>

FMT_BEGIN_NAMESPACE
namespace detail {

template FMT_API locale_ref::locale_ref(const std::locale& loc);
template FMT_API auto locale_ref::get<std::locale>() const -> std::locale;
template FMT_API auto thousands_sep_impl<char>(locale_ref) -> thousands_sep_result<char>;
template FMT_API auto decimal_point_impl(locale_ref) -> char;
template FMT_API void vformat_to(buffer<char>& buf, string_view fmt,
                                 basic_format_args<FMT_BUFFER_CONTEXT(char)> args,
                                 locale_ref loc);

}  // namespace detail
FMT_END_NAMESPACE
