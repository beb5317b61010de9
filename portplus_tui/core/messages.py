"""The message catalogue: every sentence the services, the core rules and the command
line show, in Japanese and English, in one place (issue 14, point 5).

An error carries a key and parameters (``PortPlusError.key`` / ``.params``) and is
rendered by key in the language asked for (``PortPlusError.message(lang)``). To
translate, change the templates here; to add a language, add a column. Keys are
``<area>.<what>``; templates use ``str.format`` fields named by their parameters.
The screens' own texts are in ui/messages_ja.py and ui/messages_en.py.
"""

from __future__ import annotations

from typing import Any

#: field names as messages name them (the {ja} / {en} of the field sentences)
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "member_no": ("会員番号", "member number"),
    "name": ("担当者名", "contact name"),
    "contact_name": ("担当者名", "contact name"),
    "person_name": ("担当者名", "contact name"),
    "member_name": ("会員名", "company name"),
    "company_name": ("会員名", "company name"),
    "applicant": ("申込者", "applicant"),
    "department": ("部署", "department"),
    "dept": ("部署", "department"),
    "address": ("住所", "address"),
    "note": ("Note", "note"),
    "login_id": ("ログインID", "login ID"),
    "email": ("メールアドレス", "e-mail address"),
    "phone": ("電話番号", "phone number"),
    "role": ("権限", "role"),
    "ports": ("追加ポート数", "number of additional ports"),
    "contract_ports": ("契約ポート数", "number of contracted ports"),
    "two_factor": ("二段階認証", "two-factor login"),
    "number": ("申込番号", "application number"),
    "application_no": ("申込番号", "application number"),
}

CATALOGUE: dict[str, tuple[str, str]] = {
    # services/auth/common.py: the one answer to a reset request
    'auth.reset_requested': (
        '入力された会員番号とメールアドレスのアカウントが登録されている場合は、パスワード再設定のご案内メールを送信しました。メールに記載の確認コードを{minutes}分以内に入力してください。',
        'If an account with this member number and e-mail address exists, a password reset e-mail has been sent. Enter the code from the e-mail within {minutes} minutes.',
    ),
    # core/calendar.py
    'calendar.parse_date': (
        '日付は YYYY-MM-DD の形式で入力してください。',
        'Enter the date as YYYY-MM-DD.',
    ),
    'calendar.parse_date.2': (
        '日付の年は {min_year} から {max_year} の範囲で入力してください。',
        'The year must be between {min_year} and {max_year}.',
    ),
    'calendar.parse_month': (
        '月は YYYY-MM の形式で入力してください。',
        'Enter the month as YYYY-MM.',
    ),
    'calendar.parse_month.2': (
        '年は {min_year} から {max_month_year} の範囲で入力してください。',
        'The year must be between {min_year} and {max_month_year}.',
    ),
    'calendar.parse_month.3': (
        '月は 01 から 12 の範囲で入力してください。',
        'The month must be between 01 and 12.',
    ),
    'calendar.parse_date.3': (
        '{s} は存在しない日付です。',
        '{s} is not a real date.',
    ),
    # core/errors.py
    'errors.not_found': (
        '{what_ja}が見つかりません。',
        '{what_en} not found.',
    ),
    # core/password_policy.py
    'password_policy.check_password': (
        'パスワードを入力してください。',
        'Enter a password.',
    ),
    'password_policy.check_password.2': (
        'パスワードが短すぎます。{min_length}文字以上で入力してください。',
        'The password is too short: use at least {min_length} characters.',
    ),
    'password_policy.check_password.3': (
        'パスワードが長すぎます。{max_length}文字以内で入力してください。',
        'The password is too long: use at most {max_length} characters.',
    ),
    'password_policy.check_password.4': (
        'パスワードに空白(スペース)は使えません。',
        'The password must not contain spaces.',
    ),
    'password_policy.check_password.5': (
        'パスワードには英字と数字をそれぞれ1文字以上含めてください(記号だけのパスワードは使えません)。',
        'The password must contain at least one letter and one digit (symbols only are not allowed).',
    ),
    'password_policy.check_password.6': (
        'パスワードには数字を1文字以上含めてください(英字だけのパスワードは使えません)。',
        'The password must contain at least one digit (letters only are not allowed).',
    ),
    'password_policy.check_password.7': (
        'パスワードには英字を1文字以上含めてください(数字だけのパスワードは使えません)。',
        'The password must contain at least one letter (digits only are not allowed).',
    ),
    'password_policy.check_password.8': (
        'このパスワードはよく使われていて推測されやすいため使えません。別のパスワードにしてください。',
        'This password is too common and easy to guess: choose another one.',
    ),
    'password_policy.check_password.9': (
        'パスワードに制御文字(タブ・改行・ゼロ幅文字など)は使えません。',
        'The password contains a control character (such as a tab, newline or zero-width character), which is not allowed.',
    ),
    'password_policy.check_password.10': (
        'パスワードに全角文字は使えません。半角英数字と記号で入力してください。',
        'The password contains full-width characters: use half-width letters, digits and symbols only.',
    ),
    'password_policy.check_password.11': (
        'パスワードに使えない文字(半角カナ・絵文字・アクセント付き文字など)が含まれています。半角英数字と記号だけで入力してください。',
        'The password contains characters that are not allowed (such as accented letters, half-width kana or emoji): use ASCII letters, digits and symbols only.',
    ),
    'password_policy.check_password.12': (
        'ログインID(メールアドレスの「@」より前の部分を含む)と同じパスワードは使えません。',
        "The password must not be the same as the login ID or the part of it before '@'.",
    ),
    # core/validation.py
    'validation.required': (
        '{ja}を入力してください。',
        'Enter the {en}.',
    ),
    'validation.parse_count': (
        '{ja}は{lo}~{hi}の範囲で入力してください。',
        'The {en} must be between {lo} and {hi}.',
    ),
    'validation.parse_on_off': (
        '{ja}は on/off、yes/no、true/false、1/0 のいずれかで指定してください。',
        'The {en} must be one of on/off, yes/no, true/false, 1/0.',
    ),
    'validation.check_length': (
        '{ja}は{max_len}文字以内で入力してください(現在{length}文字)。',
        'The {en} is too long: at most {max_len} characters are allowed (it has {length}).',
    ),
    'validation.normalize_member_no': (
        '会員番号を入力してください。',
        'Enter the member number.',
    ),
    'validation.normalize_member_no.2': (
        '会員番号が長すぎます({hint_ja})。',
        'The member number is too long ({hint_en}).',
    ),
    'validation.normalize_member_no.3': (
        '会員番号が短すぎます({hint_ja})。',
        'The member number is too short ({hint_en}).',
    ),
    'validation.normalize_member_no.4': (
        '会員番号に使えない文字が含まれています({hint_ja})。',
        'The member number contains a character that is not allowed ({hint_en}).',
    ),
    'validation.normalize_member_no.5': (
        '会員番号の先頭はハイフンではなく英数字にしてください({hint_ja})。',
        'The member number must start with a letter or digit, not a hyphen ({hint_en}).',
    ),
    'validation.parse_count.2': (
        '{ja}は数字だけで入力してください(符号・小数点・数字の間の空白は使えません)。',
        'The {en} must be a whole number written with digits only (no sign, decimal point or spaces between digits).',
    ),
    'validation.normalize_email': (
        '{ja}が長すぎます({max_len}文字以内で入力してください)。',
        'The {en} is too long: at most {max_len} characters are allowed.',
    ),
    'validation.normalize_email.2': (
        '{ja}に使えない文字(全角文字・日本語など)が含まれています。半角英数字と記号で入力してください。',
        'The {en} contains characters that are not allowed in an e-mail address (only ASCII letters, digits and symbols).',
    ),
    'validation.normalize_email.3': (
        '{ja}に空白は使えません。',
        'The {en} must not contain spaces.',
    ),
    'validation.normalize_email.4': (
        '{ja}はメールアドレスの形式(例: name@example.co.jp)で、「@」を1つだけ含めて入力してください。',
        "The {en} must be an e-mail address with exactly one '@' (e.g. name@example.co.jp).",
    ),
    'validation.normalize_email.5': (
        '{ja}の「@」より前の部分が正しくありません(1~64文字の英数字と一部の記号。ピリオドは先頭・末尾・連続不可)。',
        "The part of the {en} before '@' is not valid: use 1-64 letters, digits and allowed symbols; a dot may not come first, last or twice in a row.",
    ),
    'validation.normalize_email.6': (
        '{ja}の「@」より後のドメイン部分が正しくありません(例: example.co.jp)。',
        "The domain of the {en} (after '@') is not valid (e.g. example.co.jp).",
    ),
    'validation.normalize_phone': (
        '{ja}に使えない文字が含まれています(数字・ハイフン・+・括弧・空白のみ)。',
        "The {en} contains a character that is not allowed (only digits, '-', '+', '(', ')' and spaces).",
    ),
    'validation.normalize_phone.2': (
        '{ja}の「+」は先頭にだけ使えます。',
        "In the {en}, '+' may only come first.",
    ),
    'validation.normalize_phone.3': (
        '{ja}は20文字以内で入力してください(現在{length}文字)。',
        'The {en} is too long: at most 20 characters are allowed (it has {length}).',
    ),
    'validation.normalize_phone.4': (
        '{ja}が短すぎます(数字6桁以上、6~20文字で入力してください)。',
        'The {en} is too short: use 6-20 characters with at least 6 digits.',
    ),
    'validation.parse_role': (
        '{ja}を選択してください(admin または user)。',
        'Choose the {en}: admin or user.',
    ),
    'validation.parse_role.2': (
        '{ja}は admin または user を指定してください。',
        'The {en} must be admin or user.',
    ),
    'validation.parse_on_off.2': (
        '{ja}を入力してください(on または off)。',
        'Enter the {en}: on or off.',
    ),
    'validation.check_chars': (
        '{ja}に不正な文字(壊れた文字コード)が含まれています。入力し直してください。',
        'The {en} contains an invalid character (a broken surrogate code point); please type it again.',
    ),
    'validation.check_chars.2': (
        '{ja}に使えない制御文字(改行・タブ・ゼロ幅文字など)が含まれています。',
        'The {en} contains a control character (such as a newline, tab, escape or zero-width character), which is not allowed.',
    ),
    'validation.check_chars.3': (
        '{ja}に使えない制御文字(改行・タブ以外の制御文字やゼロ幅文字など)が含まれています。',
        'The {en} contains a control character (other than newline and tab) or an invisible formatting character, which is not allowed.',
    ),
    # services/accounts.py
    'accounts.own_account_only': (
        '他のアカウントの情報は参照・変更できません(自分のアカウントのみ可能です)。',
        'You can only view and change your own account.',
    ),
    'accounts.not_found': (
        'アカウントが見つかりません。',
        'Account not found.',
    ),
    'accounts.conflict': (
        'このアカウントは他の方が先に変更しました。最新の内容を読み込んでから、もう一度お試しください。',
        'Someone else changed this account first. Reload it and try again.',
    ),
    'accounts.last_admin': (
        '会社で最後の管理者(admin)アカウントのため、削除・権限変更・有効期限切れにはできません。先に別のアカウントを管理者にしてください。',
        "This is the company's last admin account: it cannot be deleted, demoted or expired. Make another account an admin first.",
    ),
    'accounts.login_taken_error': (
        'このログインIDは既に使われています。',
        'This login ID is already in use.',
    ),
    'accounts.self_delete': (
        '自分自身のアカウントは削除できません。',
        'You cannot delete your own account.',
    ),
    'accounts.parse_expires': (
        '有効期限は日付(YYYY-MM-DD)で指定してください。',
        'Give the expiry as a date (YYYY-MM-DD).',
    ),
    'accounts.parse_expires.2': (
        '有効期限を入力してください。',
        'Enter the expiry date.',
    ),
    'accounts.check_not_past': (
        '有効期限は本日({today})以降の日付を入力してください。',
        'The expiry date must be today ({isoformat}) or later.',
    ),
    'accounts.confirm_ok': (
        '確認のため、パスワードをもう一度入力してください。',
        'Enter the password again to confirm it.',
    ),
    'accounts.confirm_ok.2': (
        '確認用のパスワードが一致しません。',
        'The two passwords do not match.',
    ),
    'accounts.last_admin_expiry': (
        '会社で最後の管理者(admin)アカウントのため、有効期限を早めることはできません(延ばすことはできます)。先に別のアカウントを管理者にしてください。',
        "This is the company's last admin account: its expiry date can only move later, not earlier. Make another account an admin first.",
    ),
    'accounts.update_account': (
        '自分の権限は変更できません。',
        'You cannot change your own role.',
    ),
    'accounts.update_account.2': (
        '有効期限は管理者(admin)のみ変更できます。',
        'Only an admin can change the expiry date.',
    ),
    'accounts.update_account.3': (
        '自分自身の権限を変更することはできません(管理者の解除は別の管理者が行います)。',
        'You cannot change your own role (another admin must do it).',
    ),
    'accounts.update_account.4': (
        '自分自身の有効期限を延ばすことはできません。別の管理者に依頼してください。',
        'You cannot extend your own expiry date; ask another admin.',
    ),
    'accounts.update_account.5': (
        '自分自身の有効期限を過去の日付にすることはできません。',
        'You cannot set your own expiry date in the past.',
    ),
    'accounts.self_shorten': (
        '自分自身の有効期限を短くすることはできません。別の管理者に依頼してください。',
        'You cannot shorten your own expiry date; ask another admin.',
    ),
    # services/applications.py
    'applications.deadline_error': (
        '適用日 {apply_date_ja} の申込期限 {deadline_ja} を過ぎています。',
        'The deadline for {isoformat} was {deadline}; it has passed.',
    ),
    'applications.conflict': (
        'この申込は他の方が先に変更しました。最新の内容を読み込んでから、もう一度お試しください。',
        'Someone else changed this application first. Reload it and try again.',
    ),
    'applications.parse_number': (
        '申込番号は SO-03089-0 の形式で入力してください。',
        'Enter the application number as SO-03089-0.',
    ),
    'applications.check_page_size': (
        '表示数は 10 / 20 / 50 / 100 から選んでください。',
        'The page size must be 10, 20, 50 or 100.',
    ),
    'applications.as_date': (
        '日付を指定してください。',
        'Give a date.',
    ),
    'applications.period_query': (
        '期間の開始日は終了日以前の日付を入力してください。',
        'The start of the period must not be after its end.',
    ),
    'applications.check_new_date': (
        '適用日は {limit} までの日付を入力してください。',
        'The date may be at most {max_days_ahead} days ahead ({isoformat}).',
    ),
    'applications.clean_applicant': (
        '申込者を入力してください。',
        'Enter the applicant.',
    ),
    'applications.get_row': (
        '申込が見つかりません。',
        'Application not found.',
    ),
    'applications.cancelled_elsewhere': (
        'この申込は他の方がキャンセルしました。変更・キャンセルはできません。',
        'Someone else cancelled this application; it can no longer be changed or cancelled.',
    ),
    'applications.change': (
        'キャンセル済みの申込は変更できません。',
        'A cancelled application cannot be changed.',
    ),
    'applications.change.2': (
        '変更内容がありません。',
        'Nothing was changed.',
    ),
    'applications.cancel': (
        'この申込は既にキャンセルされています。',
        'This application is already cancelled.',
    ),
    # services/auth/common.py
    'auth.login_failed': (
        '会員番号、アカウント、またはパスワードが正しくありません。',
        'The member number, account or password is incorrect.',
    ),
    'auth.locked': (
        'ログインに続けて失敗したため、このアカウントは一時的にロックされています。{n}分後に再度お試しいただくか、パスワードを再設定してください。',
        'This account is locked for now after too many failed attempts. Try again in {n} minute{plural}, or reset your password.',
    ),
    'auth.mail': (
        'ワンタイムパスワードのメールを送信できなかったため、ログインできませんでした。しばらくしてから再度お試しください。',
        'The one-time password e-mail could not be sent, so you could not be logged in. Please try again later.',
    ),
    'auth.mail.2': (
        'ワンタイムパスワードのメールを再送信できませんでした。しばらくしてから再度お試しください(先に送信したワンタイムパスワードは引き続き有効です)。',
        'The one-time password e-mail could not be sent again. Please try again later (the code sent before is still valid).',
    ),
    'auth.otp_format': (
        'ワンタイムパスワード(6桁の数字)を入力してください。',
        'Enter the one-time password (6 digits).',
    ),
    'auth.otp_invalid': (
        'このワンタイムパスワードは使用できません。もう一度ログインしてください。',
        'This one-time password can no longer be used. Please log in again.',
    ),
    'auth.otp_expired': (
        'ワンタイムパスワードの有効期限が切れました。もう一度ログインしてください。',
        'The one-time password has expired. Please log in again.',
    ),
    'auth.otp_wrong': (
        'ワンタイムパスワードが正しくありません(あと{remaining}回入力できます)。',
        'The one-time password is incorrect ({remaining} more {tries}).',
    ),
    'auth.otp_voided': (
        'ワンタイムパスワードを{limit}回間違えたため、無効になりました。もう一度ログインしてください。',
        'The one-time password was entered wrongly {limit} times and is no longer valid. Please log in again.',
    ),
    'auth.otp_resend_wait': (
        'ワンタイムパスワードの再送信は{seconds}秒後から可能です。',
        'You can ask for a new one-time password in {seconds} second{plural}.',
    ),
    'auth.reset_failed': (
        '確認コードが正しくないか、有効期限が切れています。入力し直すか、パスワード再設定をもう一度お申し込みください。',
        'The code is wrong or has expired. Check it, or ask for a new password reset.',
    ),
    'auth.account_expired': (
        '有効期限が切れたアカウントにはパスワード再設定メールを送信できません。先に有効期限を延長してください。',
        'The account has expired, so no password reset e-mail can be sent to it. Extend its expiry date first.',
    ),
    'auth.reset_code_format': (
        '確認コード(メールに記載の英数字{length}文字)を入力してください。',
        'Enter the code from the e-mail ({length} letters and digits).',
    ),
    'auth.confirm_mismatch': (
        '新しいパスワードと確認用のパスワードが一致しません。',
        'The new password and its confirmation do not match.',
    ),
    'auth.admin_send_reset': (
        'アカウント',
        'Account',
    ),
    'auth.change_own_password': (
        'サービス提供者のセッションにはパスワードがありません。',
        'A provider session has no password to change.',
    ),
    'auth.wrong_password': (
        '現在のパスワードが正しくありません。',
        'The current password is incorrect.',
    ),
    'auth.change_own_password.2': (
        '新しいパスワードには現在と異なるパスワードを設定してください。',
        'The new password must differ from the current one.',
    ),
    'auth.change_own_password.3': (
        'アカウントが他の操作で変更されました。画面を開き直してから、もう一度お試しください。',
        'The account was changed by someone else. Reload and try again.',
    ),
    # services/calendar_view.py
    'calendar_view.check_month': (
        '年は 1900 から 9999 の範囲で指定してください。',
        'The year must be between 1900 and 9999.',
    ),
    'calendar_view.check_month.2': (
        '月は 1 から 12 の範囲で指定してください。',
        'The month must be between 1 and 12.',
    ),
    # services/closed_days.py
    'closed_days.add': (
        '{isoformat} は既に休業日です。',
        '{isoformat} is already a closed day.',
    ),
    'closed_days.remove': (
        '{isoformat} は休業日ではありません。',
        '{isoformat} is not a closed day.',
    ),
    # services/companies.py
    'companies.get_row': (
        '会員番号 {key} の会員',
        'Company {key}',
    ),
    'companies.add_company': (
        '会員番号 {key} は既に登録されています。',
        'Member number {key} already exists.',
    ),
    # services/context.py
    'context.session_timeout': (
        '一定時間操作がなかったため、ログアウトしました。再度ログインしてください。',
        'You were logged out after a period of inactivity. Please log in again.',
    ),
    'context.session_revoked': (
        'このアカウントは現在ご利用になれません。再度ログインしてください。',
        'This account can no longer be used. Please log in again.',
    ),
    'context.session_password_changed': (
        'パスワードが変更されたため、ログアウトしました。新しいパスワードで再度ログインしてください。',
        'Your password was changed, so you were logged out. Please log in again with the new password.',
    ),
    'context.admin_only_error': (
        'この操作は管理者(admin)アカウントのみ可能です。',
        'Only an admin account can do this.',
    ),
    'context.as_user_error': (
        'データベースに接続できません。しばらくしてから再度お試しください。',
        'Cannot reach the database. Please try again in a moment.',
    ),
    'context.as_user_error.2': (
        'データベースが混雑しています。しばらくしてから再度お試しください。',
        'The database is busy. Please try again in a moment.',
    ),
    'context.as_user_error.3': (
        'データベースに書き込めません(読み取り専用)。管理者に連絡してください。',
        'The database cannot be written to (read-only). Please contact the administrator.',
    ),
    # services/demo.py
    'demo.check_database': (
        'このデータベースにはデモ以外の会員が登録されています({count}件、例: {foreign})。既知のパスワードを持つデモ用アカウントは追加しません(何も書き込んでいません)。デモは専用のデータベースで実行してください(--database-url を省略すると <データフォルダ>/demo.db)。',
        'this database holds companies the demo did not create ({count}, e.g. {foreign}): refusing to add demo logins with well-known passwords; nothing was written. Run the demo on a database of its own (without --database-url it uses <data dir>/demo.db).',
    ),
    # services/exports.py
    'exports.init': (
        '{name} は既にあります。',
        '{name} already exists.',
    ),
    'exports.init.2': (
        '{path} に書き込めませんでした: {reason}',
        'Could not write {path}: {reason}',
    ),
    'exports.export_name': (
        'ファイル名を入力してください。',
        'Enter a file name.',
    ),
    'exports.export_name.2': (
        'ファイル名に制御文字は使えません。',
        'A file name cannot contain control characters.',
    ),
    'exports.export_name.3': (
        'ファイル名だけを入力してください。「/」「\\」を含むパスは使えません(出力先のフォルダは決まっています)。',
        'Enter a file name only: no "/" or "\\" (the export folder is fixed).',
    ),
    'exports.export_name.4': (
        'ファイル名を「.」で始めることはできません。',
        'A file name cannot start with ".".',
    ),
    'exports.export_name.5': (
        'ファイル名に使えない文字があります: {listed}',
        'A file name cannot contain: {listed}',
    ),
    'exports.export_name.6': (
        'ファイル名が長すぎます({max_chars} 文字まで、.csv を含む)。',
        'The file name is too long (at most {max_chars} characters, .csv included).',
    ),
    'exports.refuse': (
        '{name} は{ja}ため、上書きしません。別の名前にしてください。',
        '{name} {en}: it is not replaced. Choose another name.',
    ),
    'exports.existing': (
        'シンボリックリンクの',
        'is a symbolic link',
    ),
    'exports.existing.2': (
        'フォルダの',
        'is a folder',
    ),
    'exports.existing.3': (
        '通常のファイルではない',
        'is not a regular file',
    ),
    'exports.existing.4': (
        'このアプリの利用者のファイルではない',
        'belongs to another user',
    ),
    'exports.existing.5': (
        '他の利用者も読み書きできるファイルの',
        'can be opened by other users (not a file this app wrote)',
    ),
    'exports.existing.6': (
        'このアプリの CSV 出力ではない',
        'is not a CSV export of this app',
    ),
    'exports.open_folder': (
        '出力先のフォルダ {folder} はこのアプリの利用者のものではありません。',
        'The export folder {folder} does not belong to the user running the app.',
    ),
    'exports.open_folder.2': (
        '出力先のフォルダ {folder} を他の利用者が読み書きできます(モード {mode:04o})。',
        'Other users can open the export folder {folder} (mode {mode:04o}).',
    ),
    'exports.existing.7': (
        '読めない',
        'cannot be read',
    ),
    # services/mail.py
    'mail.invalid_address': (
        'メールアドレスが正しくないため、メールを送信できませんでした。',
        'The e-mail could not be sent: the address is not valid.',
    ),
    'mail.backend_from_settings': (
        'メールの設定 (mail_backend) が正しくありません。',
        'mail_backend must be file, smtp or memory.',
    ),
    'mail.build_message': (
        '件名に改行が含まれているため、メールを送信できませんでした。',
        'The e-mail could not be sent: the subject contains a line break.',
    ),
    'mail.smtp_password': (
        'SMTP パスワードファイル {path} の内容が使えません(UTF-8 の1行、{max_bytes} バイト以下)。',
        'The SMTP password file {path} does not hold one line of UTF-8 text (at most {max_bytes} bytes).',
    ),
    'mail.init': (
        'メールの設定 (smtp_security) が正しくありません。',
        'smtp_security must be one of {modes}.',
    ),
    'mail.init.2': (
        'メールの設定が不完全です (SMTP のパスワードがありません)。',
        'smtp_user is set but neither PORTPLUS_SMTP_PASSWORD nor smtp_password_file is.',
    ),
    'mail.smtp_password.2': (
        'SMTP パスワードファイルを読み込めません: {path} ({reason})',
        'Cannot read the SMTP password file {path} ({reason})',
    ),
    'mail.smtp_password.3': (
        'SMTP パスワードファイル {path} は他のユーザーが読み取れるため使用しません。修正するには: {fix}',
        'The SMTP password file {path} can be read by other users; it is not used. Fix it with: {fix}',
    ),
    # cli/accounts.py
    'cli.accounts.find_account': (
        'アカウントが見つかりません。',
        'No account {email} in {member_no}.',
    ),
    'cli.accounts.read_new_password': (
        'パスワードを尋ねる端末がありません。--password-stdin を使用してください。',
        'no terminal to ask for the password: use --password-stdin',
    ),
    # cli/accounts.py
    'cli.accounts.read_new_password.2': (
        '2回入力したパスワードが一致しません。何も書き込んでいません。',
        'the two passwords differ; nothing was written',
    ),
    # cli/accounts.py
    'cli.accounts.cmd_outbox': (
        '--last は 1~1000 の範囲で指定してください。',
        '--last must be between 1 and 1000',
    ),
    # cli/accounts.py
    'cli.accounts.cmd_outbox.2': (
        '送信メールの控え(outbox)は空です ({outbox_dir})',
        'the outbox is empty ({outbox_dir})',
    ),
    # cli/accounts.py
    'cli.accounts.cmd_audit': (
        '--last は 1~1000 の範囲で指定してください。',
        '--last must be between 1 and 1000',
    ),
    # cli/accounts.py
    'cli.accounts.read_new_password.3': (
        '標準入力にパスワードがありません。何も書き込んでいません。',
        'no password on standard input; nothing was written',
    ),
    'cli.accounts.read_new_password.4': (
        'パスワードが入力されませんでした。何も書き込んでいません。',
        'no password given; nothing was written',
    ),
    # cli/base.py
    'cli.base.interrupted': (
        '中断しました。',
        'interrupted',
    ),
    'cli.base.not_initialised': (
        'データベースが初期化されていません。先に `portplus init` を実行してください。',
        'The database is not initialised or is out of date: run `portplus init` first.',
    ),
    # cli/base.py
    'cli.base.interrupted.2': (
        '中断しました。何も書き込んでいません。',
        'interrupted; nothing was written',
    ),
    # cli/base.py
    'cli.base.settings': (
        '{flag} に空の値は指定できません(既定値を使うには {flag} を省略してください)。',
        '{flag} must not be empty (leave it out for the default)',
    ),
    # cli/base.py
    'cli.base.settings.2': (
        '設定: {message}',
        'configuration: {message_en}',
    ),
    # cli/base.py
    'cli.base.secure_files': (
        'ファイルの権限を設定できません: {exc}',
        'cannot set file permissions: {exc}',
    ),
    # cli/data.py
    'cli.data.cmd_applications': (
        '--from の日付が --to の日付より後になっています。',
        '--from must not be after --to',
    ),
    'cli.data.cmd_demo': (
        '--applications は 0~20000000 の範囲で指定してください。',
        '--applications must be between 0 and 20000000',
    ),
    'cli.data.cmd_calendar': (
        'FROM の日付が TO の日付より後になっています。',
        'FROM must not be after TO',
    ),
    # cli/data.py
    'cli.data.cmd_calendar.2': (
        '期間は最大50年までです。',
        'the range may span at most 50 years',
    ),
    # cli/data.py
    'cli.data.cmd_company': (
        '変更する項目がありません。--name、--address、--ports、--two-factor、--note のいずれかを指定してください。',
        'nothing to change: give at least one of --name, --address, --ports, --two-factor, --note',
    ),
    # cli/launch.py
    'cli.launch.warn_if_exposed': (
        '警告: データベースファイル {path} はこのコンピューターの{others}ユーザーが読み取れます。修正するには: {fix} (または portplus init)',
        'warning: the database file {path} can be read by other users of this computer; fix it with: {fix} (or portplus init)',
    ),
    'cli.launch.require_terminal': (
        'ポートプラスの画面には端末が必要です(標準入力・標準出力・標準エラー出力)。コマンドは portplus --help を参照してください。',
        'the terminal app needs a terminal on stdin, stdout and stderr; see portplus --help for the commands',
    ),
    # cli/main.py
    'cli.main.shared_mode': (
        '設定: shared_group のグループ {shared_group!r} がありません (作成するには: groupadd {shared_group})',
        'configuration: {exc}',
    ),
    'cli.main.main': (
        '予期しないエラーが発生しました ({error})。詳細: {path}',
        'unexpected error ({error}); details in {path}',
    ),
    # cli/reach.py
    'cli.reach.serve_options': (
        '--host が正しくありません: {host!r}',
        '--host is not an address: {host!r}',
    ),
    # cli/reach.py
    'cli.reach.serve_options.2': (
        '--port は 1~65535 の範囲で指定してください。',
        '--port must be between 1 and 65535',
    ),
    'cli.reach.serve_options.3': (
        '--max-sessions は 1~10000 の範囲で指定してください。',
        '--max-sessions must be between 1 and 10000',
    ),
    # cli/reach.py
    'cli.reach.cmd_web_session': (
        'このコマンドは portplus serve が使います。',
        'portplus serve runs this command',
    ),
    # cli/reach.py
    'cli.reach.serve_options.4': (
        '--public-url は http(s)://ホスト[:ポート][/パス] の形式で指定してください。',
        '--public-url must be http(s)://host[:port][/path]',
    ),
    # cli/reach.py
    'cli.reach.cmd_serve': (
        "portplus serve には追加パッケージが必要です: pip install 'portplus-tui[web]'",
        "portplus serve needs the web extra: pip install 'portplus-tui[web]'",
    ),
    # store/db.py
    'db.bad_url': (
        'データベースURLを使用できません: {why_ja} ({url})',
        'Cannot use the database URL: {why_en} ({url})',
    ),
    'db.cannot_open': (
        'データベースファイルを開けません: {path} ({reason})',
        'Cannot open the database file: {path} ({reason})',
    ),
    # store/keyfile.py
    'keyfile.cannot_create': (
        '秘密鍵ファイルを作成できません: {path} ({reason})。アプリを実行するユーザーで `portplus init` を実行するか、secret_key_file または PORTPLUS_SECRET_KEY を設定してください。',
        'Cannot create the secret key file {path} ({reason}): run `portplus init` as the user that runs the app, or set secret_key_file or PORTPLUS_SECRET_KEY.',
    ),
    'keyfile.unreadable': (
        '秘密鍵ファイルを読み込めません: {path} ({reason})',
        'Cannot read the secret key file {path} ({reason})',
    ),
    'keyfile.exposed': (
        '秘密鍵ファイル {path} は他のユーザーが読み取れるため使用しません。修正するには: {fix}',
        'The secret key file {path} can be read by other users; it is not used. Fix it with: {fix}',
    ),
    'keyfile.malformed': (
        '秘密鍵ファイル {path} の内容が鍵として使えません(32バイト以上の16進数または URL-safe base64)。ファイルを削除すると新しい鍵が作られます(送信済みのコードは無効になります)。',
        'The secret key file {path} does not hold a usable key (at least 32 bytes as hex or URL-safe base64). Delete it and a new key is made (codes already sent stop working).',
    ),
    # ---------------------------------------------------------------- settings (config.py)
    'config.where': ('{where_ja}: {ja}', '{where_en}: {en}'),
    'config.at_least_1': ('{name} は 1 以上にしてください。', '{name} must be at least 1'),
    'config.bcrypt_rounds': ('bcrypt_rounds は 4~31 の範囲にしてください。',
                             'bcrypt_rounds must be between 4 and 31'),
    'config.password_max_length': ('password_max_length は 72 以下にしてください(bcrypt の上限)。',
                                   "password_max_length must be at most 72 (bcrypt's limit)"),
    'config.password_lengths': ('password_min_length は password_max_length 以下にしてください。',
                                'password_min_length must not exceed password_max_length'),
    'config.ports': ('min_ports は max_ports 以下にしてください。',
                     'min_ports must not exceed max_ports'),
    'config.deadline_business_days': ('deadline_business_days は 0 以上にしてください。',
                                      'deadline_business_days must be 0 or more'),
    'config.otp_resend_seconds': ('otp_resend_seconds は 0 以上にしてください。',
                                  'otp_resend_seconds must be 0 or more'),
    'config.closing_day': ('closing_day は 1~28 の範囲にしてください。',
                           'closing_day must be between 1 and 28'),
    'config.one_of': ('{name} は {listed} のいずれかにしてください。',
                      '{name} must be one of {listed}'),
    'config.shared_group_empty': ('shared_group を空にはできません(使わない場合は行ごと削除してください)。',
                                  'shared_group must not be empty (leave it out for private files)'),
    'config.secret_key': ('secret_key は {min_bytes} バイト以上のランダムな値を16進数({chars}文字)'
                          'または URL-safe base64 で指定してください。作成例: {how}',
                          'secret_key must be at least {min_bytes} random bytes as hex '
                          '({chars} characters) or URL-safe base64; make one with: {how}'),
    'config.bad_value': ('{name}: {shown} は使えません({expected_ja}を指定してください)。',
                         '{name}: cannot use {shown} (expected {expected_en})'),
    'config.expected.int': ('整数', 'a whole number'),
    'config.expected.bool': ('true または false', 'true or false'),
    'config.expected.Path': ('フォルダのパス', 'a folder path'),
    'config.expected.str': ('文字列', 'text'),
    'config.expected.keymap': ('バインディング ID = "キー" の表', 'a table of binding id = "key"'),
    'config.unknown_setting': ('不明な設定です: {key!r}', 'unknown setting {key!r}'),
    'config.file_not_found': ('設定ファイルが見つかりません: {path}', 'config file not found: {path}'),
    'config.unreadable': ('{path}: 読み込めません ({reason})', '{path}: {reason}'),
    'config.environment_only': ('{path}: {names} は環境変数 ({variable}) または {first}_file で'
                                '指定するファイルでのみ設定できます。',
                                '{path}: {names} may only come from the environment ({variable}) '
                                'or from the file {first}_file names'),
    'config.not_empty': ('{path}: {name} を空にはできません(既定値を使うには行ごと削除してください)。',
                         '{path}: {name} must not be empty (leave it out for the default)'),
}


class CatalogueText(str):
    """A rendered sentence that remembers its key and parameters (what errors carry)."""

    key: str
    params: dict[str, Any]

    def __new__(cls, text: str, key: str, params: dict[str, Any]) -> CatalogueText:
        self = super().__new__(cls, text)
        self.key = key
        self.params = params
        return self


class Sentence:
    """What a user-facing error shares: its Japanese and English text, and, when built
    from ``texts``, the catalogue key and parameters it is rendered from, by key."""

    ja: str
    en: str
    key: str | None
    params: dict[str, Any]

    def set_texts(self, ja: str, en: str) -> None:
        self.ja = ja
        self.en = en
        self.key = getattr(ja, "key", None)
        self.params = dict(getattr(ja, "params", {}))

    def message(self, lang: str = "ja") -> str:
        if self.key is not None:
            return render(self.key, lang, self.params)
        return self.ja if lang == "ja" else self.en


def render(key: str, lang: str, params: dict[str, Any]) -> str:
    """The sentence ``key`` in ``lang`` ("ja", else English), with its parameters."""
    ja, en = CATALOGUE[key]
    return (ja if lang == "ja" else en).format(**params)


def texts(key: str, /, **params: Any) -> tuple[CatalogueText, CatalogueText]:
    """(Japanese, English) of ``key``, each remembering the key and the parameters: what
    an error is built from, ``ValidationError(*texts("calendar.date_format"), field=...)``."""
    return (CatalogueText(render(key, "ja", params), key, params),
            CatalogueText(render(key, "en", params), key, params))
