import { registry } from "@web/core/registry";
import { IntegerField, integerField } from "@web/views/fields/integer/integer_field";

/**
 * A port left empty means "try the usual ports": show it empty, so that the field's
 * placeholder says so, rather than a misleading "0".
 */
export class PortField extends IntegerField {
    get formattedValue() {
        return this.value ? super.formattedValue : "";
    }
}

registry.category("fields").add("mail_catcher_port", { ...integerField, component: PortField });
