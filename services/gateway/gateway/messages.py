"""Problem titles and field messages in Vietnamese and English, by stable code.

Services explain in English with a code; this table lets the gateway answer
in the caller's language.  Codes missing here fall back to the English text.
"""

from __future__ import annotations

from typing import Any

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"

TITLES: dict[str, dict[str, str]] = {
    "validation_failed": {"vi": "Dữ liệu không hợp lệ", "en": "Some fields are not valid"},
    "body_not_object": {"vi": "Nội dung yêu cầu phải là một đối tượng JSON",
                        "en": "The request body must be a JSON object"},
    "malformed_json": {"vi": "Nội dung yêu cầu không phải JSON hợp lệ", "en": "The request body is not valid JSON"},
    "bad_request": {"vi": "Yêu cầu không hợp lệ", "en": "Bad request"},
    "unsupported_media_type": {"vi": "Chỉ chấp nhận application/json", "en": "Only application/json is accepted"},
    "unauthorized": {"vi": "Cần đăng nhập", "en": "Authentication required"},
    "token_invalid": {"vi": "Mã truy cập không hợp lệ", "en": "The access token is not valid"},
    "token_expired": {"vi": "Mã truy cập đã hết hạn", "en": "The access token has expired"},
    "forbidden": {"vi": "Không có quyền", "en": "Forbidden"},
    "forbidden_role": {"vi": "Vai trò của bạn không được phép thao tác này", "en": "Your role may not do this"},
    "not_organiser": {"vi": "Chỉ ban tổ chức của chuỗi hội nghị này được phép",
                      "en": "Only the organisers of this series may do this"},
    "not_your_organisation": {"vi": "Bạn chỉ được thao tác cho tổ chức của mình",
                              "en": "You may act only for your own organisation"},
    "other_province": {"vi": "Tỉnh chỉ xem được dữ liệu của tỉnh mình", "en": "A province sees only its own data"},
    "not_found": {"vi": "Không tìm thấy", "en": "Not found"},
    "edition_not_found": {"vi": "Không tìm thấy kỳ hội nghị", "en": "No such edition"},
    "organisation_not_found": {"vi": "Không tìm thấy tổ chức", "en": "No such organisation"},
    "participation_not_found": {"vi": "Không tìm thấy đăng ký", "en": "No such registration"},
    "delegate_not_found": {"vi": "Không tìm thấy đại biểu", "en": "No such delegate"},
    "method_not_allowed": {"vi": "Phương thức không được hỗ trợ", "en": "Method not allowed"},
    "conflict": {"vi": "Xung đột dữ liệu", "en": "Conflict"},
    "already_registered": {"vi": "Tổ chức đã đăng ký kỳ hội nghị này",
                           "en": "This organisation is already registered for this edition"},
    "organisation_exists": {"vi": "Tổ chức đã có trong hệ thống", "en": "This organisation is already registered"},
    "series_exists": {"vi": "Chuỗi hội nghị đã tồn tại", "en": "This series already exists"},
    "registration_closed": {"vi": "Kỳ hội nghị không nhận đăng ký lúc này",
                            "en": "Registration for this edition is not open"},
    "illegal_transition": {"vi": "Không thể chuyển sang trạng thái này", "en": "This status change is not allowed"},
    "capacity_full": {"vi": "Đã hết chỗ cho vai trò này", "en": "Every place for this role is taken"},
    "concurrent_change": {"vi": "Dữ liệu vừa được người khác thay đổi", "en": "Changed by someone else meanwhile"},
    "not_approved": {"vi": "Đăng ký chưa được duyệt", "en": "The registration is not approved"},
    "idempotency_key_reused": {"vi": "Idempotency-Key đã dùng cho một yêu cầu khác",
                               "en": "This Idempotency-Key was used for a different request"},
    "idempotency_in_progress": {"vi": "Yêu cầu với Idempotency-Key này đang được xử lý",
                                "en": "A request with this Idempotency-Key is still being processed"},
    "precondition_failed": {"vi": "Dữ liệu đã thay đổi, vui lòng tải lại",
                            "en": "The resource changed; reload it and try again"},
    "precondition_required": {"vi": "Cần gửi If-Match với ETag hiện tại",
                              "en": "Send If-Match with the current ETag"},
    "payload_too_large": {"vi": "Nội dung yêu cầu quá lớn", "en": "The request body is too large"},
    "service_unavailable": {"vi": "Dịch vụ tạm thời không phản hồi, vui lòng thử lại",
                            "en": "A service did not answer in time; try again shortly"},
    "dev_mode_off": {"vi": "Chỉ có ở chế độ phát triển", "en": "Only available in dev mode"},
    "internal_error": {"vi": "Lỗi hệ thống", "en": "Internal error"},
}

FIELD_MESSAGES: dict[str, dict[str, str]] = {
    "required": {"vi": "Trường bắt buộc.", "en": "Missing data for required field."},
    "unknown_field": {"vi": "Trường không được hỗ trợ.", "en": "Unknown field."},
    "null": {"vi": "Không được để trống.", "en": "Field may not be null."},
    "invalid_type": {"vi": "Sai kiểu dữ liệu.", "en": "Wrong type."},
    "invalid_email": {"vi": "Email không hợp lệ.", "en": "Not a valid email address."},
    "invalid_url": {"vi": "URL không hợp lệ.", "en": "Not a valid URL."},
    "invalid_date": {"vi": "Ngày không hợp lệ (YYYY-MM-DD).", "en": "Not a valid date (YYYY-MM-DD)."},
    "invalid_datetime": {"vi": "Thời điểm không hợp lệ (ISO 8601 có múi giờ).",
                         "en": "Not a valid date-time (ISO 8601 with offset)."},
    "invalid_phone": {"vi": "Số điện thoại không hợp lệ.", "en": "Not a valid phone number."},
    "out_of_range": {"vi": "Giá trị nằm ngoài phạm vi cho phép.", "en": "Value out of the allowed range."},
    "invalid_format": {"vi": "Sai định dạng.", "en": "Wrong format."},
    "tax_code_format": {"vi": "Mã số thuế phải có 10 chữ số, dạng 10-3 hoặc 12 chữ số.",
                        "en": "A tax code has 10 digits, the 10-3 branch form, or 12 digits."},
    "tax_code_check_digit": {"vi": "Mã số thuế sai chữ số kiểm tra.", "en": "The tax code's check digit is wrong."},
    "tax_code_branch_suffix": {"vi": "Mã chi nhánh không hợp lệ.", "en": "Not a valid branch suffix."},
    "tax_code_personal_province": {"vi": "Mã tỉnh trong số định danh cá nhân không hợp lệ.",
                                   "en": "Unknown province code in the personal identification number."},
    "tax_code_personal_century": {"vi": "Mã thế kỷ/giới tính trong số định danh không hợp lệ.",
                                  "en": "Impossible century/gender digit in the personal identification number."},
    "unknown_province": {"vi": "Không phải tỉnh, thành phố của Việt Nam.", "en": "Not a Vietnamese province."},
    "province_merged": {"vi": "Từ 01/07/2025, {province} đã sáp nhập vào {successor_name} ({successor}).",
                        "en": "Since 2025-07-01, {province} is part of {successor_name} ({successor})."},
    "unknown_country": {"vi": "Mã quốc gia ISO 3166 không hợp lệ.", "en": "Not a valid ISO 3166 country code."},
    "reason_required": {"vi": "Cần nêu lý do từ chối.", "en": "Say why the registration is rejected."},
    "ends_before_start": {"vi": "Thời điểm kết thúc phải sau thời điểm bắt đầu.", "en": "Must end after it starts."},
    "unknown_site_visit": {"vi": "Không phải chuyến tham quan của kỳ này.", "en": "Not a site visit of this edition."},
    "qr_format": {"vi": "Mã QR không hợp lệ.", "en": "Not a valid badge QR code."},
    "qr_signature": {"vi": "Mã QR không hợp lệ.", "en": "Not a valid badge QR code."},
}


def pick_language(accept_language: str | None) -> str:
    """The first of vi/en the client prefers (RFC 9110 q-values), Vietnamese by default."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranked = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and q > 0:
            ranked.append((-q, position, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def title(code: str, language: str, fallback: str) -> str:
    return TITLES.get(code, {}).get(language) or fallback


def field_message(error: dict[str, Any], language: str) -> str:
    template = FIELD_MESSAGES.get(error.get("code", ""), {}).get(language)
    if template is None:
        return error.get("message", "")
    try:
        return template.format(**error.get("params", {}))
    except (KeyError, IndexError):
        return error.get("message", "")
